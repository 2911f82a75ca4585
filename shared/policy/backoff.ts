import type { RefreshSettings } from '../domain/integration';
import type { Random } from '../ports/clock';

/** Inputs of {@link computeRetryDelayMs}. */
export interface RetryDelayInput {
  /** Failures in a row, including the one just seen (≥ 1). */
  readonly consecutiveFailures: number;
  readonly settings: RefreshSettings;
  /** A number in [0, 1): the jitter source. */
  readonly random: Random;
  /** The provider's `Retry-After` in seconds, or `null` when it sent none. */
  readonly retryAfterSeconds: number | null;
}

const MIN_DELAY_MS = 1_000;
/** Any base × 2^52 is far past every allowed cap; bounding the exponent keeps the product finite. */
const MAX_EXPONENT = 52;

/**
 * Delay before retrying a failed refresh: capped exponential backoff with full jitter
 * (AWS Architecture Blog, "Exponential Backoff and Jitter"):
 * `random() × min(retryMax, retryBase × 2^(n−1))` seconds, so a provider outage does not end in
 * synchronized retry waves. Never less than the provider's `Retry-After` (which may exceed the
 * cap: the provider's word wins) and never less than 1 s. Returns integer milliseconds. Pure.
 */
export function computeRetryDelayMs(input: RetryDelayInput): number {
  const { settings, random } = input;
  const n = Math.max(1, Math.floor(input.consecutiveFailures));
  const exponent = Math.min(n - 1, MAX_EXPONENT);
  const capSeconds = Math.min(settings.retryMaxSeconds, settings.retryBaseSeconds * 2 ** exponent);
  const jittered = Math.floor(random() * capSeconds * 1_000);
  return Math.max(MIN_DELAY_MS, retryAfterMs(input.retryAfterSeconds), jittered);
}

/** Inputs of {@link isPastRetryHorizon}. Times are epoch milliseconds. */
export interface RetryHorizonInput {
  /** When the current run of failures began; `null` when the connection is not failing. */
  readonly failingSince: number | null;
  readonly now: number;
  readonly settings: RefreshSettings;
}

/**
 * True once a connection has been failing for `retryHorizonSeconds` or longer without a success:
 * time to stop retrying and mark it `needs_reauth`.
 */
export function isPastRetryHorizon(input: RetryHorizonInput): boolean {
  const { failingSince, now, settings } = input;
  return failingSince !== null && now - failingSince >= settings.retryHorizonSeconds * 1_000;
}

/** A negative, NaN or infinite Retry-After is not an instruction; treat it as absent. */
function retryAfterMs(seconds: number | null): number {
  if (seconds === null || !Number.isFinite(seconds) || seconds <= 0) return 0;
  return Math.ceil(seconds * 1_000);
}
