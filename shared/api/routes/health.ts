import type { ApiDeps } from '../deps';
import { route } from '../route';
import { healthSchema } from '../schemas/common';

export const healthRoutes = [
  route<ApiDeps>({
    operationId: 'getHealth',
    summary: 'Liveness check',
    tags: ['health'],
    method: 'GET',
    path: '/health',
    auth: 'public',
    responses: { 200: { description: 'The service is up', schema: healthSchema } },
    handle: async () => ({ status: 200, body: { status: 'ok' } }),
  }),
];
