import type { ConnectionKey } from '../../domain/ids';
import { InvalidCursorError } from '../../errors';
import type { ConnectionPage, ConnectionPageRequest } from '../../ports/listing';
import { revivable } from '../../refresh/decide';
import { importCredentials } from '../../refresh/import-credentials';
import { refreshConnection } from '../../refresh/refresh-connection';
import type { ApiDeps } from '../deps';
import { ApiError, invalidRequest, notFound } from '../errors';
import { credentialsOf } from '../import-body';
import { resolvedIntegrationOrNotFound } from '../integration-lookup';
import { checkImportPlaceholders } from '../placeholders';
import { isUnusable, refreshError } from '../refresh-errors';
import { type AnyRoute, type RouteDef, route } from '../route';
import { connectionParamsSchema } from '../schemas/common';
import {
  connectionInputSchema,
  connectionListQuerySchema,
  connectionListSchema,
  connectionSchema,
} from '../schemas/connections';
import { errorResponses } from '../schemas/responses';
import { connectionView } from '../views';

const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);
const PATH = '/v1/integrations/{integration_id}/connections/{connection_id}';
const TAGS = ['connections'];
const keyOf = (p: { integration_id: string; connection_id: string }): ConnectionKey => ({
  integrationId: p.integration_id,
  connectionId: p.connection_id,
});
const viewBody = { description: 'The connection', schema: connectionSchema };

/** api.md "Connections" (the token endpoint lives in ./token). */
export const connectionRoutes: readonly AnyRoute<ApiDeps>[] = [
  apiRoute({
    operationId: 'putConnection',
    summary: 'Import or replace a connection’s credentials',
    tags: TAGS,
    method: 'PUT',
    path: PATH,
    auth: 'admin',
    params: connectionParamsSchema,
    body: connectionInputSchema,
    responses: {
      200: { description: 'Replaced', schema: connectionSchema },
      201: { description: 'Created', schema: connectionSchema },
      // 503 refresh_in_progress: a refresh in flight held the connection past the import's wait.
      ...errorResponses(404, 503),
    },
    handle: async ({ deps, params, body }) => {
      const integration = await resolvedIntegrationOrNotFound(deps, params.integration_id);
      await checkImportPlaceholders(deps.store, integration, keyOf(params), body.metadata);
      const { connection, created } = await importCredentials(
        deps.refresh,
        integration,
        keyOf(params),
        credentialsOf(body, deps.clock.now()),
      );
      return { status: created ? 201 : 200, body: connectionView(connection) };
    },
  }),
  apiRoute({
    operationId: 'getConnection',
    summary: 'Read a connection (never its tokens)',
    tags: TAGS,
    method: 'GET',
    path: PATH,
    auth: 'tokens:read',
    params: connectionParamsSchema,
    responses: { 200: viewBody, ...errorResponses(404) },
    handle: async ({ deps, params }) => {
      const connection = await deps.store.get(keyOf(params));
      if (connection === null) throw notFound(`connection ${params.integration_id}/${params.connection_id}`);
      return { status: 200, body: connectionView(connection) };
    },
  }),
  apiRoute({
    operationId: 'deleteConnection',
    summary: 'Delete a connection',
    tags: TAGS,
    method: 'DELETE',
    path: PATH,
    auth: 'admin',
    params: connectionParamsSchema,
    responses: { 204: { description: 'Deleted' }, ...errorResponses(404) },
    handle: async ({ deps, params }) => {
      const key = keyOf(params);
      if ((await deps.store.get(key)) === null)
        throw notFound(`connection ${params.integration_id}/${params.connection_id}`);
      // An in-flight refresh cannot resurrect it: its commit is conditioned on the item's version.
      await deps.store.delete(key);
      return { status: 204 };
    },
  }),
  apiRoute({
    operationId: 'listConnections',
    summary: 'List connections, optionally of one integration and/or in one status',
    tags: TAGS,
    method: 'GET',
    path: '/v1/connections',
    auth: 'admin',
    query: connectionListQuerySchema,
    responses: {
      200: { description: 'One page of connections', schema: connectionListSchema },
    },
    handle: async ({ deps, query }) => {
      const page = await listingPage(deps, {
        integrationId: query.integration_id,
        status: query.status,
        ...(query.reauth_due_before === undefined
          ? {}
          : { reauthDueBefore: Date.parse(query.reauth_due_before) }),
        limit: query.limit,
        cursor: query.cursor,
      });
      return {
        status: 200,
        body: {
          items: page.items.map(connectionView),
          next_cursor: page.next,
        },
      };
    },
  }),
  apiRoute({
    operationId: 'refreshConnection',
    summary: 'Refresh now (single-flight with every other refresh of the connection)',
    tags: TAGS,
    method: 'POST',
    path: `${PATH}/refresh`,
    auth: 'admin',
    params: connectionParamsSchema,
    responses: { 200: viewBody, ...errorResponses(404, 409, 424, 502, 503) },
    handle: async ({ deps, params, remainingTimeMs }) => {
      const result = await refreshConnection(deps.refresh, keyOf(params), {
        trigger: 'forced',
        remainingTimeMs,
      });
      if (isUnusable(result)) throw refreshError(result, deps.clock.now());
      return { status: 200, body: connectionView(result.connection) };
    },
  }),
  // For connections that reached `needs_reauth` without the provider rejecting their refresh token
  // (failures that outlasted the retry horizon, or stored before misconfigurations stopped doing
  // that). Calls the provider now; on success the connection is `active` again and
  // `connection.recovered` is sent. A revoked grant, or a connection without a refresh token,
  // answers 409: only its user can fix it. Any other status behaves like POST .../refresh.
  apiRoute({
    operationId: 'retryConnection',
    summary: 'Retry a needs_reauth connection whose refresh token the provider never rejected',
    tags: TAGS,
    method: 'POST',
    path: `${PATH}/retry`,
    auth: 'admin',
    params: connectionParamsSchema,
    responses: { 200: viewBody, ...errorResponses(404, 409, 424, 502, 503) },
    handle: async ({ deps, params, remainingTimeMs }) => {
      const key = keyOf(params);
      const current = await deps.store.get(key);
      if (current === null) throw notFound(`connection ${params.integration_id}/${params.connection_id}`);
      if (current.status === 'needs_reauth' && !revivable(current, { trigger: 'forced', revive: true })) {
        throw new ApiError(
          409,
          'conflict',
          current.hasRefreshToken === false
            ? 'the connection has no refresh token: only its end user can re-authorize it'
            : 'the provider rejected this connection’s refresh token: only its end user can re-authorize it',
          { connection: connectionView(current) },
        );
      }
      const result = await refreshConnection(deps.refresh, key, {
        trigger: 'forced',
        revive: true,
        snapshot: current,
        remainingTimeMs,
      });
      if (isUnusable(result)) throw refreshError(result, deps.clock.now());
      return { status: 200, body: connectionView(result.connection) };
    },
  }),
];

/** A page of the listing; a cursor the listing did not hand out is the caller's mistake (400). */
async function listingPage(deps: ApiDeps, request: ConnectionPageRequest): Promise<ConnectionPage> {
  try {
    return await deps.listing.page(request);
  } catch (error) {
    if (error instanceof InvalidCursorError) {
      throw invalidRequest('invalid query', [{ path: 'query.cursor', message: error.message }]);
    }
    throw error;
  }
}
