import type * as z from 'zod';
import type { ApiKeyRecord } from '../../domain/api-keys';
import { BOOTSTRAP_ADMIN_ID } from '../../domain/api-keys';
import type { ApiDeps } from '../deps';
import { ApiError, notFound } from '../errors';
import { type AnyRoute, type RouteDef, route } from '../route';
import {
  apiKeyListSchema,
  apiKeyParamsSchema,
  createApiKeySchema,
  createdApiKeySchema,
} from '../schemas/api-keys';
import { errorEnvelopeSchema } from '../schemas/common';

const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);
const TAGS = ['api-keys'];

/** The API view of a key: one scope, never the key or its digest. */
export function apiKeyView(r: ApiKeyRecord): z.output<typeof apiKeyListSchema>['items'][number] {
  return {
    key_id: r.key_id,
    name: r.name,
    scope: r.scopes.includes('admin') ? 'admin' : 'tokens:read',
    created_at: r.created_at,
    last_used_at: r.last_used_at ?? null,
    prefix: r.prefix,
    configured: r.bootstrap === true,
  };
}

/**
 * api.md v1.1 "API keys over the API" (admin scope): create (the key shown once), list every
 * active key including the configured admin key, delete (revoke). Keys are stored as SHA-256
 * digests; a deleted key stops working at once in this process and within the key cache's TTL
 * (30 s) in every other.
 */
export const apiKeyRoutes: readonly AnyRoute<ApiDeps>[] = [
  apiRoute({
    operationId: 'createApiKey',
    summary: 'Create an API key (the key is in this answer only)',
    tags: TAGS,
    method: 'POST',
    path: '/v1/api-keys',
    auth: 'admin',
    body: createApiKeySchema,
    responses: { 201: { description: 'Created; store api_key now', schema: createdApiKeySchema } },
    handle: async ({ deps, body }) => {
      const { key, record } = await deps.apiKeys.create({ name: body.name, scopes: [body.scope] });
      return {
        status: 201,
        body: {
          key_id: record.key_id,
          name: record.name,
          scope: body.scope,
          created_at: record.created_at,
          api_key: key,
        },
      };
    },
  }),
  apiRoute({
    operationId: 'listApiKeys',
    summary: 'List every active API key, the configured admin key included (never the keys)',
    tags: TAGS,
    method: 'GET',
    path: '/v1/api-keys',
    auth: 'admin',
    responses: { 200: { description: 'Every active key, oldest first', schema: apiKeyListSchema } },
    handle: async ({ deps }) => {
      const records = await deps.apiKeys.list({ activeOnly: true });
      return { status: 200, body: { items: records.map(apiKeyView) } };
    },
  }),
  apiRoute({
    operationId: 'deleteApiKey',
    summary: 'Delete (revoke) an API key',
    tags: TAGS,
    method: 'DELETE',
    path: '/v1/api-keys/{key_id}',
    auth: 'admin',
    params: apiKeyParamsSchema,
    responses: {
      204: { description: 'Deleted: the key no longer authenticates' },
      404: { description: 'not_found: no active key has this id', schema: errorEnvelopeSchema },
      409: {
        description: 'conflict: the calling key itself, or the configured admin key',
        schema: errorEnvelopeSchema,
      },
    },
    handle: async ({ deps, params, principal }) => {
      const keyId = params.key_id;
      if (principal?.kind === 'api_key' && principal.id === keyId)
        throw new ApiError(409, 'conflict', 'a key cannot delete itself: delete it with another admin key');
      if (keyId === BOOTSTRAP_ADMIN_ID)
        throw new ApiError(
          409,
          'conflict',
          'the configured admin key comes from the configuration (API_KEY or the generated local key, ' +
            'adminApiKeySha256 on AWS): change it there and restart or redeploy',
        );
      const found = await deps.apiKeys.find(keyId);
      if (found === null || found.revoked_at !== undefined) throw notFound(`API key ${keyId}`);
      await deps.apiKeys.revoke(keyId);
      return { status: 204 };
    },
  }),
];
