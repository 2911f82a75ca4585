import { shouldRefresh } from '../policy/should-refresh';
import type { StoredConnection } from '../ports/store';
import type { RefreshDeps, RefreshRequest, RefreshResult } from './refresh-connection';

/** Whether the state at hand already answers the request; null means "refresh". */
export function decide(
  deps: RefreshDeps,
  connection: StoredConnection,
  request: RefreshRequest,
  baselineGeneration: number,
): RefreshResult | null {
  const now = deps.clock.now();
  if (connection.status === 'needs_reauth') return { outcome: 'needs_reauth', connection };
  if (connection.credentialGeneration !== baselineGeneration)
    return { outcome: 'refreshed_by_sibling', connection };
  if (request.trigger === 'scheduled') {
    // A backoff (Retry-After above all) is honoured to the millisecond; only on-time work gets the skew.
    const skew = connection.status === 'failing' ? 0 : deps.options.dueSkewMs;
    const due = connection.nextRefreshAt !== null && connection.nextRefreshAt <= now + skew;
    return due ? null : { outcome: 'not_needed', connection };
  }
  // Failures back off for everyone (Retry-After especially): no provider call before the due time.
  if (
    connection.status === 'failing' &&
    connection.nextRefreshAt !== null &&
    connection.nextRefreshAt > now
  ) {
    return { outcome: 'backing_off', connection };
  }
  if (request.trigger === 'forced') return null;
  const verdict = shouldRefresh({
    now,
    expiresAt: connection.accessTokenExpiresAt,
    nextRefreshAt: connection.nextRefreshAt,
    minValiditySeconds: request.minValiditySeconds ?? 60,
    force: false,
  });
  return verdict.refresh ? null : { outcome: 'not_needed', connection };
}
