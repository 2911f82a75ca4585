import { retryHeldConnections } from '../../refresh/retry-held';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { type AnyRoute, type RouteDef, route } from '../route';
import { integrationParamsSchema } from '../schemas/common';
import { errorResponses } from '../schemas/responses';
import { integrationRetrySchema } from '../schemas/retry';

const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);

/** Time kept back from the invocation for the answer. */
const RESERVE_MS = 5_000;

/**
 * Brings back the connections an integration problem is holding (see `heldByIntegration`), once
 * the integration is fixed. Also runs by itself when an integration's client credentials change.
 */
export async function retryIntegrationConnections(
  deps: ApiDeps,
  integrationId: string,
  remainingTimeMs: () => number,
): Promise<{ retried: number; complete: boolean }> {
  let retried = 0;
  let cursor: string | undefined;
  for (;;) {
    const page = await deps.listing.page({
      integrationId,
      limit: 500,
      cursor,
    });
    retried += await retryHeldConnections(deps, page.items);
    if (page.next === null) return { retried, complete: true };
    if (remainingTimeMs() < RESERVE_MS) return { retried, complete: false };
    cursor = page.next;
  }
}

export const integrationRetryRoutes: readonly AnyRoute<ApiDeps>[] = [
  apiRoute({
    operationId: 'retryIntegration',
    summary:
      'Retry the connections an integration problem holds (misconfigured client): they are refreshed on the next scan',
    tags: ['integrations'],
    method: 'POST',
    path: '/v1/integrations/{integration_id}/retry',
    auth: 'admin',
    params: integrationParamsSchema,
    responses: {
      200: {
        description: 'How many connections were made due now; `complete: false` means call again',
        schema: integrationRetrySchema,
      },
      ...errorResponses(404),
    },
    handle: async ({ deps, params, remainingTimeMs }) => {
      if ((await deps.integrationStore.get(params.integration_id)) === null)
        throw notFound(`integration ${params.integration_id}`);
      return {
        status: 200,
        body: await retryIntegrationConnections(deps, params.integration_id, remainingTimeMs),
      };
    },
  }),
];
