import type { RefreshErrorCode } from '../domain/refresh-failure';
import { clamp, MAX_RETRY_AFTER_SECONDS } from '../policy/limits';
import { formUrlEncode } from './request';
import type { RefreshFailure } from './types';

/**
 * Provider error codes (RFC 6749 §5.2 plus provider quirks) and what they mean for the connection.
 * A Map, not an object literal, so a hostile `error` such as `__proto__` cannot hit a prototype key.
 */
const PROVIDER_ERRORS = new Map<string, RefreshErrorCode>([
  // The grant is gone: the user must reconnect.
  ['invalid_grant', 'revoked'],
  ['invalid_refresh_token', 'revoked'], // Slack
  ['token_revoked', 'revoked'], // Slack
  ['token_expired', 'revoked'], // Slack
  ['bad_refresh_token', 'revoked'], // GitHub
  // The integration is broken; the refresh token was not spent.
  ['invalid_client', 'client_misconfigured'],
  ['unauthorized_client', 'client_misconfigured'],
  ['unsupported_grant_type', 'client_misconfigured'],
  ['invalid_scope', 'client_misconfigured'],
  ['invalid_request', 'client_misconfigured'],
  ['invalid_client_id', 'client_misconfigured'], // Slack
  ['bad_client_secret', 'client_misconfigured'], // Slack
  ['incorrect_client_credentials', 'client_misconfigured'], // GitHub
  // Transient.
  ['slow_down', 'rate_limited'],
  ['ratelimited', 'rate_limited'], // Slack
  ['temporarily_unavailable', 'provider_unavailable'],
  ['server_error', 'provider_unavailable'],
]);

/** The failure class of a provider error code, or null when the code is unknown. */
export function classifyProviderError(error: string): RefreshErrorCode | null {
  return PROVIDER_ERRORS.get(error) ?? null;
}

const MAX_DESCRIPTION = 500;
const MAX_ERROR_CODE = 100;
const REDACTED = '[redacted]';

/**
 * Makes provider-supplied text safe to store and show: removes every occurrence of the given
 * secrets (raw and URL-encoded; a provider may echo the presented refresh token), strips control
 * characters and truncates. Scrubbing happens before truncation so no cut can expose a prefix.
 */
export function sanitizeProviderText(
  text: string,
  secrets: readonly string[],
  max = MAX_DESCRIPTION,
): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    for (const form of new Set([secret, encodeURIComponent(secret), formUrlEncode(secret)]))
      out = out.split(form).join(REDACTED);
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > max ? `${out.slice(0, max - 1)}…` : out;
}

export function sanitizeErrorCode(error: string, secrets: readonly string[]): string {
  return sanitizeProviderText(error, secrets, MAX_ERROR_CODE);
}

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3): delta seconds or an HTTP date, relative to `now`.
 * Returns whole seconds (never negative), or null when absent or unparseable.
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return clamp(Number.parseInt(trimmed, 10), 0, MAX_RETRY_AFTER_SECONDS);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return clamp(Math.ceil((date - now) / 1000), 0, MAX_RETRY_AFTER_SECONDS);
}

type FailureExtras = Partial<Omit<RefreshFailure, 'code' | 'message'>>;

/** Builds a {@link RefreshFailure}; unspecified fields are null, and `requestSent` defaults to true. */
export function refreshFailure(
  code: RefreshErrorCode,
  message: string,
  extras: FailureExtras = {},
): RefreshFailure {
  return {
    code,
    message,
    providerError: extras.providerError ?? null,
    providerErrorDescription: extras.providerErrorDescription ?? null,
    httpStatus: extras.httpStatus ?? null,
    retryAfterSeconds: extras.retryAfterSeconds ?? null,
    requestSent: extras.requestSent ?? true,
  };
}

/** Human message for a failure carrying a provider error code (the code is already sanitized). */
export function providerErrorMessage(code: RefreshErrorCode, error: string | null, status: number): string {
  const said = error === null ? `HTTP ${status}` : `${error}, HTTP ${status}`;
  switch (code) {
    case 'revoked':
      return `provider rejected the refresh token (${said}): the grant is revoked or expired, the user must reconnect`;
    case 'client_misconfigured':
      return `provider rejected the client or request (${said}): check the integration's client id, secret and settings`;
    case 'rate_limited':
      return `provider rate-limited the refresh (${said})`;
    case 'provider_unavailable':
      return `provider is unavailable (${said})`;
    case 'ambiguous':
    case 'invalid_response':
      return `provider answered with an unusable response (${said})`;
  }
}
