import type { RefreshSettings } from '../domain/integration';
import type { Random } from '../ports/clock';

/** Inputs of {@link computeNextRefreshAt}. Times are epoch milliseconds. */
export interface NextRefreshInput {
  readonly now: number;
  /** When the access token expires; `null` when unknown and not derivable (non-expiring tokens). */
  readonly expiresAt: number | null;
  /** When the connection was last refreshed successfully (or imported). */
  readonly lastRefreshAt: number;
  readonly settings: RefreshSettings;
  /** A number in [0, 1): the jitter source. */
  readonly random: Random;
}

/** The earliest a future refresh is scheduled: keeps a bad clock or setting from busy-looping. */
const MIN_DELAY_MS = 1_000;

/**
 * When to refresh a connection next (design.md "Scheduling"):
 * `min(expiresAt − margin − jitter, lastRefreshAt + keepalive)`.
 *
 * - For short-lived tokens the margin is capped at a third of the remaining lifetime and the jitter
 *   at a tenth, so a 10-second token is refreshed 3+ s before expiry while a 1-hour token gets the
 *   full 15-minute margin.
 * - Without a known expiry, or in `on_demand` mode (reads refresh on demand), only the keep-alive
 *   schedules: `lastRefreshAt + keepalive − jitter`, the jitter capped at a tenth of the keep-alive.
 * - Never earlier than `now + 1 s`, unless the token is already expired (or has under a second
 *   left): then `now`.
 *
 * Pure: the clock and randomness come in. Returns an integer epoch-ms time.
 */
export function computeNextRefreshAt(input: NextRefreshInput): number {
  const { now, expiresAt, lastRefreshAt, settings, random } = input;
  const keepaliveMs = settings.keepaliveSeconds * 1_000;
  const keepaliveAt = lastRefreshAt + keepaliveMs;
  const earliest = Math.ceil(now) + MIN_DELAY_MS;

  if (expiresAt === null || settings.mode === 'on_demand') {
    const jitterMs = random() * Math.min(settings.jitterSeconds * 1_000, keepaliveMs / 10);
    return Math.max(earliest, Math.floor(keepaliveAt - jitterMs));
  }

  const lifetimeMs = expiresAt - now;
  if (lifetimeMs <= MIN_DELAY_MS) return Math.ceil(now);

  // At least a second of margin: refreshing at the instant of expiry would hand out a dead token.
  const marginMs = Math.min(Math.max(settings.marginSeconds * 1_000, MIN_DELAY_MS), lifetimeMs / 3);
  const jitterMs = random() * Math.min(settings.jitterSeconds * 1_000, lifetimeMs / 10);
  const dueForExpiry = expiresAt - marginMs - jitterMs;
  return Math.max(earliest, Math.floor(Math.min(dueForExpiry, keepaliveAt)));
}

/** Shards of the due and outbox indexes (each index partition takes ~1,000 writes/s): the default of `DUE_SHARDS`. */
export const DEFAULT_DUE_SHARDS = 16;
