/**
 * Sane ranges for every time a provider (or an importer) supplies (reliability.md promise 22).
 * A provider can send anything: `expires_in: 1e200`, `Retry-After: 10000000000000`, a JWT `exp`
 * in the year 300000. Unclamped, such numbers make dates unbuildable (`RangeError`), DynamoDB
 * reject the commit, or a stored number unreadable. Each is clamped before it is used or stored.
 */

/** Longest access-token lifetime believed: 10 years (beyond it, the keep-alive schedules anyway). */
export const MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 86_400;
/** Longest refresh-token lifetime believed (absolute or idle): 10 years. */
export const MAX_REFRESH_TOKEN_LIFETIME_SECONDS = 10 * 365 * 86_400;
/** Longest `Retry-After` honoured: a day. A provider asking for more is retried daily. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/** The latest instant any stored or emitted time may hold (year 9999): inside 2^53 and `Date`'s range. */
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** An epoch-ms time as an ISO string that can never throw (clamped to [0, {@link MAX_TIME_MS}]). */
export function isoTime(ms: number): string {
  return new Date(clamp(Math.round(ms), 0, MAX_TIME_MS)).toISOString();
}

/** Clamps `value` into [min, max]; NaN becomes `min`. */
export function clamp(value: number, min: number, max: number): number {
  if (Number.isNaN(value)) return min;
  return Math.min(max, Math.max(min, value));
}
