import { getValidToken, type ValidToken } from '../../refresh/get-valid-token';
import type { ApiDeps } from '../deps';
import { tokenFailureError } from '../refresh-errors';
import { type AnyRoute, type RouteDef, route } from '../route';
import { connectionParamsSchema } from '../schemas/common';
import { errorResponses } from '../schemas/responses';
import { type AccessTokenView, accessTokenSchema, tokenQuerySchema } from '../schemas/token';

const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);

/**
 * api.md `GET .../token`, the hot path: the query in, {@link getValidToken}, its answer out (a
 * token, or the error of {@link tokenFailureError}: 404, 409, 424, 502 or 503 with Retry-After).
 */
export const tokenRoutes: readonly AnyRoute<ApiDeps>[] = [
  apiRoute({
    operationId: 'getToken',
    summary: 'A valid access token (refreshed inline when needed)',
    tags: ['connections'],
    method: 'GET',
    path: '/v1/integrations/{integration_id}/connections/{connection_id}/token',
    auth: 'tokens:read',
    params: connectionParamsSchema,
    query: tokenQuerySchema,
    responses: {
      200: { description: 'An access token (never a refresh token)', schema: accessTokenSchema },
      ...errorResponses(404, 409, 424, 502, 503),
    },
    handle: async ({ deps, params, query, remainingTimeMs }) => {
      const result = await getValidToken(
        deps,
        { integrationId: params.integration_id, connectionId: params.connection_id },
        {
          minValiditySeconds: query.min_validity_seconds,
          forceRefresh: query.force_refresh === 'true',
          remainingTimeMs,
        },
      );
      if (!result.ok) throw tokenFailureError(result.failure);
      return { status: 200, body: accessTokenView(result) };
    },
  }),
];

function accessTokenView({ token, status }: ValidToken): AccessTokenView {
  return {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_at: token.expiresAt === null ? null : new Date(token.expiresAt).toISOString(),
    scope: token.scope,
    status,
  };
}
