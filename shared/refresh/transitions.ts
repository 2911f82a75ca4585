import type { Connection } from '../domain/connection';
import type { LastError } from '../domain/errors';
import type { OutboxEvent } from '../domain/events';
import type { RefreshSettings } from '../domain/integration';
import type { RefreshFailure, TokenSet } from '../oauth/types';
import { computeRetryDelayMs, isPastRetryHorizon } from '../policy/backoff';
import { computeNextRefreshAt } from '../policy/schedule';
import type { Random } from '../ports/clock';
import type { ConnectionPatch } from '../ports/store';
import { buildEvent } from './events';

/**
 * The connection state machine (design.md) as pure functions: given the state read under the lease
 * and the provider's answer, the one patch to commit, with the events of the transition (if any).
 * Attempts inside a state emit nothing.
 */
export interface TransitionContext {
  readonly now: number;
  readonly settings: RefreshSettings;
  readonly random: Random;
}

/** A successful refresh: `active`; `failing → active` emits `connection.recovered`. */
export function successPatch(
  connection: Connection,
  tokens: TokenSet,
  secretsCiphertext: Uint8Array,
  ctx: TransitionContext,
): ConnectionPatch {
  const events: OutboxEvent[] = [];
  if (connection.status === 'failing') {
    events.push(
      buildEvent(
        'connection.recovered',
        connection,
        { status: 'active', consecutiveFailures: 0, accessTokenExpiresAt: tokens.expiresAt, error: null },
        ctx.now,
      ),
    );
  }
  return {
    status: 'active',
    secretsCiphertext,
    tokenType: tokens.tokenType ?? connection.tokenType,
    scope: tokens.scope ?? connection.scope,
    accessTokenExpiresAt: tokens.expiresAt,
    lastLifetimeSeconds: tokens.lifetimeSeconds ?? connection.lastLifetimeSeconds,
    lastRefreshAt: ctx.now,
    nextRefreshAt: computeNextRefreshAt({
      now: ctx.now,
      expiresAt: tokens.expiresAt,
      lastRefreshAt: ctx.now,
      settings: ctx.settings,
      random: ctx.random,
    }),
    consecutiveFailures: 0,
    failingSince: null,
    lastError: null,
    events,
  };
}

export function toLastError(failure: RefreshFailure, now: number): LastError {
  return {
    code: failure.code,
    message: failure.message,
    provider_error: failure.providerError,
    provider_error_description: failure.providerErrorDescription,
    at: new Date(now).toISOString(),
  };
}

/**
 * A failed refresh. `revoked`, or transient failures past the retry horizon, end in `needs_reauth`
 * (out of the due index, one `connection.reauth_required`); other failures make the connection
 * `failing` with a backoff due time (full jitter, never before Retry-After), and the first one
 * emits `connection.refresh_failed`.
 */
export function failurePatch(
  connection: Connection,
  failure: RefreshFailure,
  ctx: TransitionContext,
): ConnectionPatch {
  const consecutiveFailures = connection.consecutiveFailures + 1;
  const failingSince = connection.failingSince ?? ctx.now;
  const lastError = toLastError(failure, ctx.now);
  const state = {
    consecutiveFailures,
    accessTokenExpiresAt: connection.accessTokenExpiresAt,
    error: lastError,
  };
  const base = { consecutiveFailures, failingSince, lastError };

  const terminal =
    failure.code === 'revoked' || isPastRetryHorizon({ failingSince, now: ctx.now, settings: ctx.settings });
  if (terminal) {
    const events =
      connection.status === 'needs_reauth'
        ? []
        : [
            buildEvent(
              'connection.reauth_required',
              connection,
              { ...state, status: 'needs_reauth' },
              ctx.now,
            ),
          ];
    return { ...base, status: 'needs_reauth', nextRefreshAt: null, events };
  }

  const delayMs = computeRetryDelayMs({
    consecutiveFailures,
    settings: ctx.settings,
    random: ctx.random,
    retryAfterSeconds: failure.retryAfterSeconds,
  });
  const events =
    connection.status === 'active'
      ? [buildEvent('connection.refresh_failed', connection, { ...state, status: 'failing' }, ctx.now)]
      : [];
  return { ...base, status: 'failing', nextRefreshAt: ctx.now + delayMs, events };
}
