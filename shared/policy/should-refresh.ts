/** Inputs of {@link shouldRefresh}. Times are epoch milliseconds. */
export interface ShouldRefreshInput {
  readonly now: number;
  readonly expiresAt: number | null;
  readonly nextRefreshAt: number | null;
  /** The caller needs the token to stay valid at least this long after it is returned. */
  readonly minValiditySeconds: number;
  /** The caller asked for a refresh whatever the token's state. */
  readonly force: boolean;
}

/**
 * Why a token is (or is not) refreshed on read:
 * - `forced`: the caller asked for it.
 * - `expired`: the access token has expired.
 * - `expiring`: it would have less than `minValiditySeconds` left.
 * - `due`: still valid long enough, but its scheduled refresh is overdue. Served as is: refreshing
 *   inline would bypass the per-provider concurrency cap of the refresh pipeline, so the caller may
 *   only nudge the scheduler.
 * - `fresh`: valid long enough and not yet due.
 * - `non_expiring`: no known expiry (the provider's tokens do not expire).
 */
export type RefreshReason = 'forced' | 'expired' | 'expiring' | 'due' | 'fresh' | 'non_expiring';

export interface RefreshDecision {
  readonly refresh: boolean;
  readonly reason: RefreshReason;
}

/**
 * Whether the token endpoint must refresh before answering: when forced, when the access token has
 * expired, or when it would have less than `minValiditySeconds` left. An expected outcome, returned
 * as a value. Pure.
 */
export function shouldRefresh(input: ShouldRefreshInput): RefreshDecision {
  const { now, expiresAt, nextRefreshAt, minValiditySeconds, force } = input;
  if (force) return { refresh: true, reason: 'forced' };
  if (expiresAt !== null && expiresAt <= now) return { refresh: true, reason: 'expired' };
  if (!isStillValid(expiresAt, now, minValiditySeconds)) return { refresh: true, reason: 'expiring' };
  if (nextRefreshAt !== null && nextRefreshAt <= now) return { refresh: false, reason: 'due' };
  if (expiresAt === null) return { refresh: false, reason: 'non_expiring' };
  return { refresh: false, reason: 'fresh' };
}

/**
 * True when a token expiring at `expiresAt` (epoch ms; `null` = does not expire) is unexpired at
 * `now` and still has at least `minValiditySeconds` left.
 */
export function isStillValid(expiresAt: number | null, now: number, minValiditySeconds: number): boolean {
  if (expiresAt === null) return true;
  const remainingMs = expiresAt - now;
  return remainingMs > 0 && remainingMs >= minValiditySeconds * 1_000;
}
