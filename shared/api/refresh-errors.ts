import type { Connection } from '../domain/connection';
import { connectionKeyString } from '../domain/ids';
import { type FailureCause, failureOf, type TokenFailure } from '../refresh/get-valid-token';
import type { RefreshResult, UnusableResult } from '../refresh/types';
import { ApiError } from './errors';
import { connectionView } from './views';

/** Whether a result is one of {@link UnusableResult}: no usable new token. */
export function isUnusable(result: RefreshResult): result is UnusableResult {
  return (
    result.outcome === 'failed' ||
    result.outcome === 'backing_off' ||
    result.outcome === 'needs_reauth' ||
    result.outcome === 'lease_held' ||
    result.outcome === 'no_refresh_token'
  );
}

/** api.md 424: `details` is `{"connection": <view>}`. */
export function reauthRequired(connection: Connection): ApiError {
  return new ApiError(
    424,
    'reauth_required',
    `connection ${connectionKeyString(connection)} needs the end user to re-authorize`,
    { connection: connectionView(connection) },
  );
}

/** The API answer for a refresh that produced no new token (see {@link tokenFailureError}). */
export function refreshError(result: UnusableResult, now: number): ApiError {
  return tokenFailureError(failureOf(result, now));
}

/**
 * The API answer when there is no token to hand out:
 * - no such connection or integration → 404 `not_found`;
 * - revoked / `needs_reauth` → 424 `reauth_required`;
 * - the provider answered something unusable (`invalid_response`) or refused the client
 *   (`client_misconfigured`) → 502 `provider_error`, with `details.provider_error` when it sent one;
 * - anything transient (5xx, 429, ambiguous, backoff) → 503 `provider_unavailable`, with a
 *   `Retry-After` that honours the provider's and the backoff's due time;
 * - another worker's refresh held the connection too long → 503 `refresh_in_progress`;
 * - a forced refresh of a connection without a refresh token → 409 `conflict`;
 * - a forced refresh while the provider's Retry-After is in force → 503 with that Retry-After.
 */
export function tokenFailureError(failure: TokenFailure): ApiError {
  switch (failure.code) {
    case 'not_found':
      return new ApiError(404, 'not_found', failure.message);
    case 'refresh_in_progress':
      return new ApiError(503, 'refresh_in_progress', failure.message, undefined, { 'retry-after': '2' });
    case 'needs_reauth':
      return reauthRequired(failure.connection);
    case 'no_refresh_token':
      return new ApiError(
        409,
        'conflict',
        `connection ${connectionKeyString(failure.connection)} has no refresh token, so it cannot be refreshed; its access token is served until it expires, then the end user must re-authorize`,
        { connection: connectionView(failure.connection) },
      );
    case 'backing_off': {
      const seconds = failure.retryAfterSeconds;
      return new ApiError(
        503,
        'provider_unavailable',
        `the provider asked not to be called again before its Retry-After runs out; retry in ${seconds} s`,
        { connection: connectionView(failure.connection) },
        { 'retry-after': String(seconds) },
      );
    }
    case 'failing':
      return providerFailure(failure.connection, failure.cause, failure.retryAfterSeconds);
  }
}

function providerFailure(connection: Connection, cause: FailureCause | null, retryAfter: number): ApiError {
  if (cause !== null && (cause.code === 'invalid_response' || cause.code === 'client_misconfigured')) {
    return new ApiError(
      502,
      'provider_error',
      cause.code === 'client_misconfigured'
        ? 'the provider refused the integration’s client credentials'
        : 'the provider answered the refresh with something unusable',
      {
        ...(cause.providerError === null ? {} : { provider_error: cause.providerError }),
        ...(cause.providerErrorDescription === null
          ? {}
          : { provider_error_description: cause.providerErrorDescription }),
        connection: connectionView(connection),
      },
    );
  }
  return new ApiError(
    503,
    'provider_unavailable',
    `the provider could not refresh the token; retry in ${retryAfter} s`,
    { connection: connectionView(connection) },
    { 'retry-after': String(retryAfter) },
  );
}
