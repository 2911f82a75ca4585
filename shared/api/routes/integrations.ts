import type { ApiDeps } from '../deps';
import type { AnyRoute } from '../route';

export const integrationRoutes: readonly AnyRoute<ApiDeps>[] = [];
