import type { Connection } from '../domain/connection';
import type { OutboxEvent } from '../domain/events';
import type { RefreshSettings } from '../domain/integration';
import type { LastError } from '../domain/refresh-failure';
import type { RefreshFailure, TokenSet } from '../oauth/types';
import { computeRetryDelayMs, isPastRetryHorizon } from '../policy/backoff';
import { clocksAfterRefresh } from '../policy/grant-clocks';
import { isoTime } from '../policy/limits';
import { computeNextRefreshAt } from '../policy/schedule';
import type { Random } from '../ports/clock';
import type { ConnectionPatch } from '../ports/store';
import { buildEvent } from './events';
import { storedClocks, withGrantClocks } from './lifecycle';

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

/**
 * A successful refresh: `active`; `failing → active` emits `connection.recovered`, and so does an
 * admin's retry that brings a `needs_reauth` connection back (its refresh token was never rejected).
 */
export function successPatch(
  connection: Connection,
  tokens: TokenSet,
  secretsCiphertext: Uint8Array,
  ctx: TransitionContext,
): ConnectionPatch {
  const events: OutboxEvent[] = [];
  if (connection.status !== 'active') {
    events.push(
      buildEvent(
        'connection.recovered',
        connection,
        { status: 'active', consecutiveFailures: 0, accessTokenExpiresAt: tokens.expiresAt, error: null },
        ctx.now,
      ),
    );
  }
  const patch: ConnectionPatch = {
    status: 'active',
    secretsCiphertext,
    hasRefreshToken: true,
    retryAfterUntil: null,
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
  // api.md v1.1: the grant's clocks move with the answer; the due time never passes their deadline.
  const clocks = clocksAfterRefresh({
    now: ctx.now,
    settings: ctx.settings,
    authorizedAt: connection.authorizedAt ?? connection.createdAt,
    previous: {
      refreshTokenExpiresAt: connection.refreshTokenExpiresAt ?? null,
      reauthDueAt: connection.reauthDueAt ?? null,
      lastRefreshAt: connection.lastRefreshAt,
    },
    answered: tokens.refreshTokenExpiresAt ?? null,
    rotated: tokens.refreshToken !== null,
  });
  return withGrantClocks(connection, patch, clocks, {
    warned: connection.reauthWarned === true,
    settings: ctx.settings,
    now: ctx.now,
  });
}

export function toLastError(failure: RefreshFailure, now: number): LastError {
  return {
    code: failure.code,
    message: failure.message,
    provider_error: failure.providerError,
    provider_error_description: failure.providerErrorDescription,
    at: isoTime(now),
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

  // A misconfigured client never burns the refresh token: it stays an integration problem (alarm,
  // `failing` with capped backoff) however long it lasts, and fixing the integration brings the
  // connection back without its user (reliability.md promise 24).
  const terminal =
    failure.code === 'revoked' ||
    (failure.code !== 'client_misconfigured' &&
      isPastRetryHorizon({ failingSince, now: ctx.now, settings: ctx.settings }));
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
    return { ...base, status: 'needs_reauth', nextRefreshAt: null, retryAfterUntil: null, events };
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
  const retryAfterUntil =
    failure.retryAfterSeconds !== null && failure.retryAfterSeconds > 0
      ? ctx.now + failure.retryAfterSeconds * 1_000
      : null;
  const patch: ConnectionPatch = {
    ...base,
    status: 'failing',
    nextRefreshAt: ctx.now + delayMs,
    retryAfterUntil,
    events,
  };
  // A grant failing for a while still gets its reauth_due warning (in a write without a transition).
  return withGrantClocks(connection, patch, storedClocks(connection, ctx.settings), {
    warned: connection.reauthWarned === true,
    settings: ctx.settings,
    now: ctx.now,
    schedule: false,
  });
}

/**
 * A connection without a refresh token (GitHub OAuth apps, older Shopify): never refreshed. Once its
 * access token has expired it needs its user (one `connection.reauth_required`); before that it is
 * due again only at the expiry (never, for a token that does not expire).
 */
export function expiredWithoutRefreshTokenPatch(
  connection: Connection,
  ctx: TransitionContext,
): ConnectionPatch {
  const expiresAt = connection.accessTokenExpiresAt;
  const unchanged = {
    consecutiveFailures: connection.consecutiveFailures,
    failingSince: connection.failingSince,
    lastError: connection.lastError,
    hasRefreshToken: false,
  };
  if (expiresAt === null || expiresAt > ctx.now) {
    return { ...unchanged, status: connection.status, nextRefreshAt: expiresAt, events: [] };
  }
  const lastError: LastError = {
    code: 'revoked',
    message:
      'the access token expired and the connection has no refresh token: the end user must re-authorize',
    provider_error: null,
    provider_error_description: null,
    at: isoTime(ctx.now),
  };
  const events =
    connection.status === 'needs_reauth'
      ? []
      : [
          buildEvent(
            'connection.reauth_required',
            connection,
            {
              status: 'needs_reauth',
              consecutiveFailures: connection.consecutiveFailures,
              accessTokenExpiresAt: expiresAt,
              error: lastError,
            },
            ctx.now,
          ),
        ];
  return { ...unchanged, status: 'needs_reauth', nextRefreshAt: null, lastError, events };
}
