import { MAX_REFRESH_TOKEN_LIFETIME_SECONDS, MAX_TOKEN_LIFETIME_SECONDS } from '../policy/limits';
import type { ExpirySource } from './types';

export interface ExpiryInput {
  /** `expires_in` as sent (number or numeric string), if any. */
  readonly expiresIn: unknown;
  /** `expires_at` as sent (epoch seconds, epoch ms, numeric string or ISO 8601), if any. */
  readonly expiresAt: unknown;
  readonly accessToken: string;
  readonly previousLifetimeSeconds: number | null;
  readonly defaultLifetimeSeconds: number;
  readonly fallback: 'jwt_exp_then_previous' | 'non_expiring';
  /** Epoch ms. */
  readonly now: number;
}

export interface ResolvedExpiry {
  readonly expiresAt: number | null;
  readonly lifetimeSeconds: number | null;
  readonly expirySource: ExpirySource;
  /** The provider's value was beyond {@link MAX_TOKEN_LIFETIME_SECONDS} and was clamped to it. */
  readonly expiryClamped?: true;
}

const MAX_LIFETIME_MS = MAX_TOKEN_LIFETIME_SECONDS * 1000;

const NUMERIC = /^\s*\d+(\.\d+)?\s*$/;
/** Below this an `expires_at` number is epoch seconds, above it epoch ms (year 5138 vs 1973). */
const EPOCH_MS_THRESHOLD = 100_000_000_000;

function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && NUMERIC.test(value)) return Number(value);
  return null;
}

function expiresInSeconds(value: unknown): number | null {
  const n = toNumber(value);
  // 0 or negative says nothing usable; fall through to the next source rather than "expired now".
  return n !== null && n > 0 ? Math.floor(n) : null;
}

function expiresAtMs(value: unknown, now: number): number | null {
  const n = toNumber(value);
  let ms: number | null;
  if (n !== null) ms = n < EPOCH_MS_THRESHOLD ? n * 1000 : n;
  else if (typeof value === 'string') ms = Date.parse(value);
  else ms = null;
  // A past expiry is more likely clock skew or a bug than a token dead on arrival.
  return ms !== null && Number.isFinite(ms) && ms > now ? ms : null;
}

/** The `exp` claim (epoch ms) of a compact JWS access token, unverified; null if not a JWT or no future `exp`. */
export function jwtExpiry(token: string, now: number): number | null {
  const parts = token.split('.');
  const payload = parts[1];
  if (parts.length !== 3 || payload === undefined || !/^[A-Za-z0-9_-]+$/.test(payload)) return null;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null || !('exp' in claims)) return null;
    const exp = toNumber(claims.exp);
    return exp !== null && exp * 1000 > now ? clampExpiry(exp * 1000, now) : null;
  } catch {
    return null;
  }
}

function fromLifetime(seconds: number, now: number, expirySource: ExpirySource): ResolvedExpiry {
  if (seconds > MAX_TOKEN_LIFETIME_SECONDS) {
    return {
      expiresAt: now + MAX_LIFETIME_MS,
      lifetimeSeconds: MAX_TOKEN_LIFETIME_SECONDS,
      expirySource,
      expiryClamped: true,
    };
  }
  return { expiresAt: now + seconds * 1000, lifetimeSeconds: seconds, expirySource };
}

function fromInstant(ms: number, now: number, expirySource: ExpirySource): ResolvedExpiry {
  if (ms - now > MAX_LIFETIME_MS) return fromLifetime(MAX_TOKEN_LIFETIME_SECONDS + 1, now, expirySource);
  return { expiresAt: ms, lifetimeSeconds: Math.floor((ms - now) / 1000), expirySource };
}

/**
 * An expiry instant (epoch ms) as stored: at most {@link MAX_TOKEN_LIFETIME_SECONDS} after `now`.
 * For instants that come from outside (an import's `expires_at`, a JWT `exp`).
 */
export function clampExpiry(ms: number | null, now: number): number | null {
  if (ms === null || !Number.isFinite(ms)) return null;
  return Math.min(ms, now + MAX_LIFETIME_MS);
}

/**
 * When the new access token expires. Order: `expires_in` (RFC 6749 §5.1) → `expires_at` → the
 * access token's JWT `exp` → (`non_expiring` providers: no expiry) → the previous lifetime → the
 * integration's default. A missing expiry is never read as "never" unless the catalogue says the
 * provider's tokens do not expire (Zendesk omits `expires_in` for tokens that do expire). A JWT
 * `exp` wins over `non_expiring` because refreshing early is harmless and refreshing late is not.
 */
export function resolveExpiry(input: ExpiryInput): ResolvedExpiry {
  const { now } = input;
  const expiresIn = expiresInSeconds(input.expiresIn);
  if (expiresIn !== null) return fromLifetime(expiresIn, now, 'expires_in');
  const expiresAt = expiresAtMs(input.expiresAt, now);
  if (expiresAt !== null) return fromInstant(expiresAt, now, 'expires_at');
  const jwtExp = jwtExpiry(input.accessToken, now);
  if (jwtExp !== null) return fromInstant(jwtExp, now, 'jwt_exp');
  if (input.fallback === 'non_expiring') {
    return { expiresAt: null, lifetimeSeconds: null, expirySource: 'non_expiring' };
  }
  const previous = input.previousLifetimeSeconds;
  if (previous !== null && Number.isFinite(previous) && previous > 0) {
    // fromLifetime clamps a previous lifetime stored before clamping existed.
    return fromLifetime(previous, now, 'previous_lifetime');
  }
  return fromLifetime(input.defaultLifetimeSeconds, now, 'default');
}

/**
 * When a refresh token dies if unused, as the provider says it (api.md v1.1): the answer's
 * `refresh_token_expires_in` (GitHub Apps, Xero, ...; clamped to 10 years), else the refresh
 * token's own JWT `exp` (clamped the same way). Null when neither tells: the caller then uses the
 * idle lifetime it knows, if any. Pure; never throws (reliability.md promise 22).
 */
export function resolveRefreshTokenExpiry(input: {
  readonly expiresIn: unknown;
  readonly refreshToken: string | null;
  readonly now: number;
}): number | null {
  const { now } = input;
  const seconds = expiresInSeconds(input.expiresIn);
  if (seconds !== null) return now + Math.min(seconds, MAX_REFRESH_TOKEN_LIFETIME_SECONDS) * 1000;
  if (input.refreshToken === null) return null;
  const exp = jwtExpiry(input.refreshToken, now);
  return exp === null ? null : Math.min(exp, now + MAX_REFRESH_TOKEN_LIFETIME_SECONDS * 1000);
}
