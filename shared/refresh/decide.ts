import { shouldRefresh } from '../policy/should-refresh';
import type { StoredConnection } from '../ports/store';
import type { RefreshDeps, RefreshRequest, RefreshResult } from './types';

/** Whether the state at hand already answers the request; null means "go on under the lease". */
export function decide(
  deps: RefreshDeps,
  connection: StoredConnection,
  request: RefreshRequest,
  baselineGeneration: number,
): RefreshResult | null {
  const now = deps.clock.now();
  if (connection.status === 'needs_reauth' && !revivable(connection, request))
    return { outcome: 'needs_reauth', connection };
  if (connection.credentialGeneration !== baselineGeneration)
    return { outcome: 'refreshed_by_sibling', connection };
  if (connection.hasRefreshToken === false) {
    // Never refreshed. Only an expired token has work left: the move to needs_reauth, under the lease.
    const expired = connection.accessTokenExpiresAt !== null && connection.accessTokenExpiresAt <= now;
    if (expired) return null;
    return request.trigger === 'forced'
      ? { outcome: 'no_refresh_token', connection }
      : { outcome: 'not_needed', connection };
  }
  if (request.trigger === 'scheduled') {
    // A backoff (Retry-After above all) is honoured to the millisecond; only on-time work gets the skew.
    const skew = connection.status === 'failing' ? 0 : deps.options.dueSkewMs;
    const due = connection.nextRefreshAt !== null && connection.nextRefreshAt <= now + skew;
    return due ? null : { outcome: 'not_needed', connection };
  }
  if (request.trigger === 'forced') {
    // "Now" holds through a backoff; only the provider's own Retry-After still in force stops it.
    const retryAfterUntil = connection.retryAfterUntil;
    if (retryAfterUntil !== null && retryAfterUntil > now)
      return { outcome: 'backing_off', connection, retryAfterUntil };
    return null;
  }
  // On-demand reads back off for everyone (Retry-After especially): no provider call before the due time.
  if (
    connection.status === 'failing' &&
    connection.nextRefreshAt !== null &&
    connection.nextRefreshAt > now
  ) {
    return { outcome: 'backing_off', connection };
  }
  const verdict = shouldRefresh({
    now,
    expiresAt: connection.accessTokenExpiresAt,
    nextRefreshAt: connection.nextRefreshAt,
    minValiditySeconds: request.minValiditySeconds ?? 60,
    force: false,
  });
  return verdict.refresh ? null : { outcome: 'not_needed', connection };
}

/**
 * An admin's explicit retry may bring back a `needs_reauth` connection whose refresh token the
 * provider never rejected (e.g. it ran out its retry horizon on a long outage). A revoked grant, or
 * one without a refresh token, stays with its user.
 */
export function revivable(connection: StoredConnection, request: RefreshRequest): boolean {
  return (
    request.revive === true &&
    connection.status === 'needs_reauth' &&
    connection.lastError?.code !== 'revoked' &&
    connection.hasRefreshToken !== false
  );
}
