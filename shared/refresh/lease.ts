import type { ConnectionKey } from '../domain/ids';
import { LeaseHeldError } from '../errors';
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import { type ConnectionStore, type Fence, fenceOf, type StoredConnection } from '../ports/store';

export interface LeaseDeps {
  readonly store: ConnectionStore;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
  /** Identifies this worker in leases (host, process, instance). */
  readonly owner: string;
  readonly options: { readonly leaseMs: number };
}

/** What the work under a lease answers. */
export interface LeaseWork<T> {
  readonly value: T;
  /**
   * True when the work ended the lease itself: a fenced commit clears it (ports/store `commit`),
   * so nothing is left to give back.
   */
  readonly leaseEnded: boolean;
}

/**
 * Takes the connection's refresh lease (a conditional write that increments `version`, the fence;
 * design.md invariant 1), runs `work` on the item as the lease returned it, and gives the lease
 * back on every path where the work did not end it: an early answer, an error, a crash injected by
 * a failpoint. Only a process that dies leaves its lease behind, and that lease runs out.
 *
 * Giving the lease back is best effort and never changes the answer: a failed release is logged
 * (the lease expires by itself) and the work's value or error stands. A release with a fence
 * that a commit or a takeover has moved on changes nothing (ports/store `releaseLease`).
 *
 * @returns the work's value, or null when another worker holds an unexpired lease (the work did
 *   not run).
 * @throws NotFoundError when there is no such connection; whatever `work` throws; store errors of
 *   the lease write.
 */
export async function withLease<T>(
  deps: LeaseDeps,
  key: ConnectionKey,
  work: (leased: StoredConnection, fence: Fence) => Promise<LeaseWork<T>>,
): Promise<T | null> {
  let leased: StoredConnection;
  try {
    leased = await deps.store.acquireLease(key, {
      owner: deps.owner,
      now: deps.clock.now(),
      leaseMs: deps.options.leaseMs,
    });
  } catch (error) {
    if (error instanceof LeaseHeldError) return null;
    throw error;
  }
  const fence = fenceOf(leased);
  let ended = false;
  try {
    const done = await work(leased, fence);
    ended = done.leaseEnded;
    return done.value;
  } finally {
    if (!ended) await release(deps, leased, fence);
  }
}

async function release(deps: LeaseDeps, leased: StoredConnection, fence: Fence): Promise<void> {
  try {
    await deps.store.releaseLease(leased, fence);
  } catch (error) {
    // The lease expires by itself; nothing is lost.
    deps.logger.warn('lease release failed', {
      integration_id: leased.integrationId,
      connection_id: leased.connectionId,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
}
