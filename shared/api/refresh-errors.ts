import type { Connection } from '../domain/connection';
import type { RefreshErrorCode } from '../domain/errors';
import { connectionKeyString } from '../domain/ids';
import type { RefreshResult } from '../refresh/types';
import { ApiError } from './errors';
import { connectionView } from './views';

/** Refresh results that carry no usable new token. */
export type UnusableResult = Extract<
  RefreshResult,
  { outcome: 'failed' | 'backing_off' | 'needs_reauth' | 'lease_held' | 'no_refresh_token' }
>;

/** Whether a result is one of {@link UnusableResult}. */
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

interface FailureInfo {
  readonly code: RefreshErrorCode;
  readonly providerError: string | null;
  readonly providerErrorDescription: string | null;
  readonly retryAfterSeconds: number | null;
}

/**
 * The API answer for a refresh that produced no new token:
 * - revoked / `needs_reauth` → 424 `reauth_required`;
 * - the provider answered something unusable (`invalid_response`) or refused the client
 *   (`client_misconfigured`) → 502 `provider_error`, with `details.provider_error` when it sent one;
 * - anything transient (5xx, 429, ambiguous, backoff) → 503 `provider_unavailable`, with a
 *   `Retry-After` that honours the provider's and the backoff's due time;
 * - another worker's lease (scheduled trigger only) → 503 `refresh_in_progress`;
 * - a forced refresh of a connection without a refresh token → 409 `conflict`;
 * - a forced refresh while the provider's Retry-After is in force → 503 with that Retry-After.
 */
export function refreshError(result: UnusableResult, now: number): ApiError {
  switch (result.outcome) {
    case 'lease_held':
      return new ApiError(503, 'refresh_in_progress', 'a refresh is in progress', undefined, {
        'retry-after': '2',
      });
    case 'needs_reauth':
      return reauthRequired(result.connection);
    case 'no_refresh_token':
      return new ApiError(
        409,
        'conflict',
        `connection ${connectionKeyString(result.connection)} has no refresh token, so it cannot be refreshed; its access token is served until it expires, then the end user must re-authorize`,
        { connection: connectionView(result.connection) },
      );
    case 'failed': {
      const { connection, failure } = result;
      if (failure.code === 'revoked' || connection.status === 'needs_reauth')
        return reauthRequired(connection);
      return providerFailure(connection, failure, now);
    }
    case 'backing_off': {
      const { connection } = result;
      if (connection.status === 'needs_reauth') return reauthRequired(connection);
      if (result.retryAfterUntil !== undefined) {
        const seconds = Math.min(86_400, Math.max(1, Math.ceil((result.retryAfterUntil - now) / 1_000)));
        return new ApiError(
          503,
          'provider_unavailable',
          `the provider asked not to be called again before its Retry-After runs out; retry in ${seconds} s`,
          { connection: connectionView(connection) },
          { 'retry-after': String(seconds) },
        );
      }
      const last = connection.lastError;
      return providerFailure(
        connection,
        last === null
          ? null
          : {
              code: last.code,
              providerError: last.provider_error,
              providerErrorDescription: last.provider_error_description,
              retryAfterSeconds: null,
            },
        now,
      );
    }
  }
}

function providerFailure(connection: Connection, failure: FailureInfo | null, now: number): ApiError {
  if (failure !== null && (failure.code === 'invalid_response' || failure.code === 'client_misconfigured')) {
    return new ApiError(
      502,
      'provider_error',
      failure.code === 'client_misconfigured'
        ? 'the provider refused the integration’s client credentials'
        : 'the provider answered the refresh with something unusable',
      {
        ...(failure.providerError === null ? {} : { provider_error: failure.providerError }),
        ...(failure.providerErrorDescription === null
          ? {}
          : { provider_error_description: failure.providerErrorDescription }),
        connection: connectionView(connection),
      },
    );
  }
  const retryAfter = retryAfterSeconds(connection, failure, now);
  return new ApiError(
    503,
    'provider_unavailable',
    `the provider could not refresh the token; retry in ${retryAfter} s`,
    { connection: connectionView(connection) },
    { 'retry-after': String(retryAfter) },
  );
}

/** The provider's Retry-After, else the time until the backoff lets the next attempt run. */
function retryAfterSeconds(connection: Connection, failure: FailureInfo | null, now: number): number {
  const untilDue =
    connection.nextRefreshAt === null ? null : Math.ceil((connection.nextRefreshAt - now) / 1_000);
  const seconds = failure?.retryAfterSeconds ?? untilDue ?? 5;
  return Math.min(86_400, Math.max(1, Math.ceil(seconds)));
}
