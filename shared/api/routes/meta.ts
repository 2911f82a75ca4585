import * as z from 'zod';
import type { ApiDeps } from '../deps';
import { buildOpenApiDocument, type OpenApiDocument } from '../openapi';
import { type AnyRoute, route } from '../route';

/** `info.version` of the document: the contract is api.md v1 with its v1.1 additions. */
export const API_DOCUMENT_VERSION = '1.1.0';

const openApiSchema = z
  .object({ openapi: z.literal('3.1.0') })
  .loose()
  .meta({ id: 'OpenApiDocument', description: 'An OpenAPI 3.1 document' });

let built: OpenApiDocument | undefined;

/**
 * The routes about the API itself. `all` returns the whole route table (index.ts passes it in,
 * which avoids an import cycle, and a dynamic import, which would keep esbuild from tree-shaking
 * every module behind it: the AWS SDK's aggregated clients and waiters ended up in the bundle).
 */
export const metaRoutes = (all: () => readonly AnyRoute<ApiDeps>[]) => [
  route<ApiDeps>({
    operationId: 'getOpenApiDocument',
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['meta'],
    method: 'GET',
    path: '/v1/openapi.json',
    // api.md: every /v1 route needs a key; the least privileged one will do.
    auth: 'tokens:read',
    responses: { 200: { description: 'The OpenAPI document', schema: openApiSchema } },
    handle: async ({ deps }) => {
      // Built once per process: the route table and PUBLIC_URL do not change while it runs.
      built ??= buildOpenApiDocument(all(), {
        serverUrl: deps.config.publicUrl,
        version: API_DOCUMENT_VERSION,
      });
      return { status: 200, body: built };
    },
  }),
];
