import type { TokenSecrets } from '../../domain/connection';
import { connectionKeyString } from '../../domain/ids';
import { isStillValid, shouldRefresh } from '../../policy/should-refresh';
import type { StoredConnection } from '../../ports/store';
import { refreshConnection } from '../../refresh/refresh-connection';
import { decryptSecrets } from '../../refresh/secrets';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { isUnusable, reauthRequired, refreshError, type UnusableResult } from '../refresh-errors';
import { type AnyRoute, type RouteDef, route } from '../route';
import { connectionParamsSchema } from '../schemas/common';
import { errorResponses } from '../schemas/responses';
import { type AccessTokenView, accessTokenSchema, tokenQuerySchema } from '../schemas/token';

const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);

/**
 * api.md `GET .../token`, the hot path. A fresh token costs one consistent read and one decrypt
 * (warm keyring cache); otherwise the SAME refresh operation as the refresher runs (`on_demand`, or
 * `forced` with the generation seen here, so one call causes at most one refresh), single-flight
 * with every other refresh of the connection, here or in another process.
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
      ...errorResponses(404, 424, 502, 503),
    },
    handle: async ({ deps, params, query, remainingTimeMs }) => {
      const key = { integrationId: params.integration_id, connectionId: params.connection_id };
      const minValiditySeconds = query.min_validity_seconds;
      const force = query.force_refresh === 'true';
      const current = await deps.store.get(key);
      if (current === null) throw notFound(`connection ${connectionKeyString(key)}`);
      if (current.status === 'needs_reauth') throw reauthRequired(current);
      // api.md v1.1 history: counted in memory, written at most once a minute (no I/O here).
      deps.tokenReads?.record(key);
      const verdict = shouldRefresh({
        now: deps.clock.now(),
        expiresAt: current.accessTokenExpiresAt,
        nextRefreshAt: current.nextRefreshAt,
        minValiditySeconds,
        force,
      });
      if (!verdict.refresh) return ok(current, await decryptSecrets(deps.keyring, current), current.status);

      const result = await refreshConnection(deps.refresh, key, {
        trigger: force ? 'forced' : 'on_demand',
        minValiditySeconds,
        observedGeneration: current.credentialGeneration,
        snapshot: current,
        remainingTimeMs,
      });
      if (result.outcome === 'refreshed')
        return ok(result.connection, result.secrets, result.connection.status);
      if (isUnusable(result)) return serveWhileValid(deps, result);
      // A sibling's new token, or one still fresh enough: the freshest there is.
      const { connection } = result;
      if (connection.status === 'needs_reauth') throw reauthRequired(connection);
      return ok(connection, await decryptSecrets(deps.keyring, connection), connection.status);
    },
  }),
];

/**
 * A refresh that produced no new token. After a transient failure an unexpired current token is
 * still served, marked `"status": "failing"` (reliability.md promise 16); otherwise the error of
 * {@link refreshError} (424, 502 or 503 with Retry-After).
 */
async function serveWhileValid(deps: ApiDeps, result: UnusableResult) {
  const now = deps.clock.now();
  if (result.outcome === 'failed' || result.outcome === 'backing_off') {
    const { connection } = result;
    const transient =
      connection.status !== 'needs_reauth' &&
      !(result.outcome === 'failed' && result.failure.code === 'revoked');
    if (transient && isStillValid(connection.accessTokenExpiresAt, now, 0)) {
      return ok(connection, await decryptSecrets(deps.keyring, connection), 'failing');
    }
  }
  throw refreshError(result, now);
}

function ok(
  connection: StoredConnection,
  secrets: TokenSecrets,
  status: AccessTokenView['status'],
): { status: 200; body: AccessTokenView } {
  return {
    status: 200,
    body: {
      access_token: secrets.access_token,
      token_type: connection.tokenType ?? 'Bearer',
      expires_at:
        connection.accessTokenExpiresAt === null
          ? null
          : new Date(connection.accessTokenExpiresAt).toISOString(),
      scope: connection.scope,
      status,
    },
  };
}
