import { StaleFenceError } from '../errors';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import { type ConnectionStore, fenceOf, type StoredConnection } from '../ports/store';

/**
 * Whether a connection is held by a problem its integration caused, which fixing the integration
 * can cure without the end user: a misconfigured client (wrong secret, unauthorized client) never
 * burns the refresh token. Also `needs_reauth` connections whose refresh token the provider never
 * rejected (stored by earlier versions, which ended misconfigurations that way after the horizon).
 */
export function heldByIntegration(c: StoredConnection): boolean {
  if (c.hasRefreshToken === false || c.lastError === null) return false;
  if (c.status === 'failing') return c.lastError.code === 'client_misconfigured';
  return c.status === 'needs_reauth' && c.lastError.code === 'client_misconfigured';
}

export interface RetryHeldDeps {
  readonly store: Pick<ConnectionStore, 'retryNow'>;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
}

/**
 * Makes every connection of a page that {@link heldByIntegration} due now: the scheduler's next
 * scan refreshes them (single-flight, leased, like any refresh), and a success sends
 * `connection.recovered`. Connections that changed meanwhile are left alone. Returns how many
 * were made due.
 */
export async function retryHeldConnections(
  deps: RetryHeldDeps,
  connections: readonly StoredConnection[],
): Promise<number> {
  let retried = 0;
  for (const connection of connections) {
    if (!heldByIntegration(connection)) continue;
    try {
      await deps.store.retryNow(connection, fenceOf(connection), deps.clock.now());
      retried += 1;
    } catch (error) {
      if (!(error instanceof StaleFenceError)) throw error;
      // Changed since it was read (a refresh, an import, a lease): it is being handled.
    }
  }
  if (retried > 0) {
    deps.logger.info('connections held by their integration made due now', { count: retried });
  }
  return retried;
}
