import pLimit from 'p-limit';
import type { ResolvedIntegration } from '../../domain/integration';
import { importCredentials } from '../../refresh/import-credentials';
import type { ApiDeps } from '../deps';
import { type ApiError, toApiError } from '../errors';
import { credentialsOf } from '../import-body';
import { resolvedIntegrationOrNotFound } from '../integration-lookup';
import { checkImportPlaceholders } from '../placeholders';
import { type AnyRoute, type RouteDef, route } from '../route';
import { integrationParamsSchema } from '../schemas/common';
import {
  type ConnectionBatchItem,
  type ConnectionBatchOutput,
  connectionBatchInputSchema,
  connectionBatchItemSchema,
  connectionBatchOutputSchema,
  MAX_BATCH_BODY_BYTES,
} from '../schemas/connections-batch';
import { errorResponses } from '../schemas/responses';
import { connectionView } from '../views';

/** Items imported at once within one request: each is a keyring call and two DynamoDB requests. */
const ITEM_CONCURRENCY = 8;

type ItemResult = ConnectionBatchOutput['items'][number];
const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);

/**
 * api.md v1.1 `POST /v1/integrations/{integration_id}/connections/batch`: up to 100 imports, each
 * handled like the single `PUT` (same use case), independently, and idempotent on `connection_id`
 * (sending a batch again after a lost answer stores the same credentials again). Items naming the
 * same connection run in their order, so the last one wins as with sequential PUTs. An item's 4xx
 * is its own result; a transient failure (the store or keyring busy) fails the whole request with
 * 503 and `Retry-After`, and the caller sends the batch again.
 */
export const connectionBatchRoutes: readonly AnyRoute<ApiDeps>[] = [
  apiRoute({
    operationId: 'importConnections',
    summary: 'Import up to 100 connections’ credentials, each like the single import',
    tags: ['connections'],
    method: 'POST',
    path: '/v1/integrations/{integration_id}/connections/batch',
    auth: 'admin',
    params: integrationParamsSchema,
    body: connectionBatchInputSchema,
    maxBodyBytes: MAX_BATCH_BODY_BYTES,
    responses: {
      200: { description: 'One result per item, in order', schema: connectionBatchOutputSchema },
      ...errorResponses(404, 503),
    },
    handle: async ({ deps, params, body }) => {
      const integration = await resolvedIntegrationOrNotFound(deps, params.integration_id);
      const items = await importAll(deps, integration, body.items);
      return { status: 200, body: { items } };
    },
  }),
];

async function importAll(
  deps: ApiDeps,
  integration: ResolvedIntegration,
  items: readonly unknown[],
): Promise<ItemResult[]> {
  const results: ItemResult[] = new Array(items.length);
  // Same connection id → one chain, in request order; different ids run concurrently.
  const chains = new Map<string, Array<{ index: number; item: ConnectionBatchItem }>>();
  items.forEach((raw, index) => {
    const parsed = connectionBatchItemSchema.safeParse(raw);
    if (!parsed.success) {
      results[index] = {
        connection_id: connectionIdOf(raw),
        status: 400,
        error: {
          code: 'invalid_request',
          message: 'invalid item',
          details: parsed.error.issues.map((issue) => ({
            path: ['body', 'items', String(index), ...issue.path.map(String)].join('.'),
            message: issue.message,
          })),
        },
      };
      return;
    }
    const chain = chains.get(parsed.data.connection_id) ?? [];
    chain.push({ index, item: parsed.data });
    chains.set(parsed.data.connection_id, chain);
  });
  const limit = pLimit(ITEM_CONCURRENCY);
  await Promise.all(
    [...chains.values()].map((chain) =>
      limit(async () => {
        for (const { index, item } of chain) results[index] = await importOne(deps, integration, item);
      }),
    ),
  );
  return results;
}

async function importOne(
  deps: ApiDeps,
  integration: ResolvedIntegration,
  item: ConnectionBatchItem,
): Promise<ItemResult> {
  const { connection_id: connectionId, ...body } = item;
  const key = { integrationId: integration.integrationId, connectionId };
  try {
    // The single import's steps, in its order: placeholders, then the import use case.
    await checkImportPlaceholders(deps.store, integration, key, body.metadata);
    const { connection, created } = await importCredentials(
      deps.refresh,
      integration,
      key,
      credentialsOf(body, deps.clock.now()),
    );
    return {
      connection_id: connectionId,
      status: created ? 201 : 200,
      connection: connectionView(connection),
    };
  } catch (error) {
    const apiError = toApiError(error);
    // Anything but a 4xx fails the request: the caller retries the batch (idempotent) rather than
    // having to pick transient failures out of the results.
    if (apiError === null || apiError.status >= 500) throw error;
    return { connection_id: connectionId, status: apiError.status, error: envelopeOf(apiError) };
  }
}

function envelopeOf(error: ApiError): NonNullable<ItemResult['error']> {
  return {
    code: error.code,
    message: error.message,
    ...(error.details === undefined ? {} : { details: error.details }),
  };
}

/** The item's `connection_id` as sent, when it is a string (echoed so callers can match results). */
function connectionIdOf(raw: unknown): string {
  if (typeof raw === 'object' && raw !== null && 'connection_id' in raw) {
    const id = (raw as { connection_id: unknown }).connection_id;
    if (typeof id === 'string') return id.slice(0, 128);
  }
  return '';
}
