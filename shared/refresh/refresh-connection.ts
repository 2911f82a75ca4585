import { type ConnectionKey, connectionKeyString } from '../domain/ids';
import { NotFoundError, ServiceError } from '../errors';
import { decide } from './decide';
import { withLease } from './lease';
import type { RefreshDeps, RefreshRequest, RefreshResult } from './types';
import { refreshLeased } from './under-lease';

/**
 * Refreshes one connection's tokens, rotation-safe (design.md invariants 1–6):
 * in-process single flight → lease (conditional write, fence = version; returns the item as
 * re-read) → decide again on the fresh state (a sibling may have refreshed) → decrypt → provider
 * call (RFC 6749 §6) → ONE conditional commit (new ciphertext, expiry, status, next due time and
 * the transition's events in the outbox) → publish the outbox.
 *
 * @throws NotFoundError (no such connection or integration); ServiceError `refresh_in_progress`
 *   (on-demand wait ran out), `insufficient_time`, `store_unavailable`, `keyring_unavailable`,
 *   `decrypt_failed`; StaleFenceError (the lease was lost mid-refresh: nothing was overwritten).
 */
export function refreshConnection(
  deps: RefreshDeps,
  key: ConnectionKey,
  request: RefreshRequest,
): Promise<RefreshResult> {
  const flightKey = [request.trigger, request.minValiditySeconds ?? '', connectionKeyString(key)].join('|');
  return deps.flights.run(flightKey, () => runFlight(deps, key, request));
}

async function runFlight(
  deps: RefreshDeps,
  key: ConnectionKey,
  request: RefreshRequest,
): Promise<RefreshResult> {
  const { store, clock, options } = deps;
  if (request.trigger === 'scheduled') {
    const result = await withLease(deps, key, (leased, fence) =>
      refreshLeased(deps, leased, fence, request, leased.credentialGeneration),
    );
    return result ?? { outcome: 'lease_held' };
  }

  const initial = request.snapshot ?? (await store.get(key));
  if (initial === null) throw new NotFoundError(`connection ${connectionKeyString(key)}`);
  const baseline = request.observedGeneration ?? initial.credentialGeneration;
  const early = decide(deps, initial, request, baseline);
  if (early !== null) return early;

  const deadline = clock.now() + options.waitForLeaseMs;
  for (;;) {
    const result = await withLease(deps, key, (leased, fence) =>
      refreshLeased(deps, leased, fence, request, baseline),
    );
    if (result !== null) return result;
    // Another worker is refreshing: wait for its result rather than racing it.
    for (;;) {
      if (clock.now() >= deadline) {
        throw new ServiceError(
          'refresh_in_progress',
          `a refresh of ${connectionKeyString(key)} is in progress`,
        );
      }
      await clock.sleep(options.pollIntervalMs);
      const current = await store.get(key);
      if (current === null) throw new NotFoundError(`connection ${connectionKeyString(key)}`);
      if (current.credentialGeneration !== baseline)
        return { outcome: 'refreshed_by_sibling', connection: current };
      if (current.leaseUntil === null || current.leaseUntil < clock.now()) {
        // The holder finished without new tokens (or died): decide again, then try the lease.
        const settled = decide(deps, current, request, baseline);
        if (settled !== null) return settled;
        break;
      }
    }
  }
}
