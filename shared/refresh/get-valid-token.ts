import type { ConnectionStatus, TokenSecrets } from '../domain/connection';
import { type ConnectionKey, connectionKeyString } from '../domain/ids';
import type { RefreshErrorCode } from '../domain/refresh-failure';
import { isServiceError } from '../errors';
import { isStillValid } from '../policy/should-refresh';
import type { Clock } from '../ports/clock';
import type { Keyring } from '../ports/keyring';
import type { ConnectionStore, StoredConnection } from '../ports/store';
import { decide } from './decide';
import { refreshConnection } from './refresh-connection';
import { decryptSecrets } from './secrets';
import type { RefreshDeps, RefreshRequest, RefreshResult, UnusableResult } from './types';

export interface GetValidTokenDeps {
  readonly store: ConnectionStore;
  readonly keyring: Keyring;
  readonly clock: Pick<Clock, 'now'>;
  /** The refresh use case's dependencies: a token that needs a refresh gets the same one as the refresher's. */
  readonly refresh: RefreshDeps;
  /** api.md v1.1 history: token reads counted in memory (no I/O on this path). */
  readonly tokenReads?: { record(key: ConnectionKey): void };
}

export interface GetValidTokenOptions {
  /** The token handed out stays valid at least this long; a refresh runs first when it would not. */
  readonly minValiditySeconds: number;
  /** Refresh now, whatever the token's state; one call causes at most one refresh. */
  readonly forceRefresh: boolean;
  /** Remaining time of the invocation: a refresh does not start without time to finish. */
  readonly remainingTimeMs?: () => number;
}

/** How the token was obtained (style.md 17). */
export type TokenObtained =
  /** The stored token was valid long enough (or the state at hand already answered): no refresh. */
  | 'fresh'
  /** This call refreshed it. */
  | 'refreshed'
  /** Another call or worker refreshed it while this one looked or waited. */
  | 'refreshed_by_sibling'
  /** The refresh failed transiently (now or earlier, in backoff) and the current token is still valid. */
  | 'served_while_failing';

/** The access token handed out: never the refresh token, which does not leave the service. */
export interface AccessToken {
  readonly accessToken: string;
  /** `Bearer` unless the provider said otherwise. */
  readonly tokenType: string;
  /** Epoch ms; null when the token does not expire (as far as anyone knows). */
  readonly expiresAt: number | null;
  readonly scope: string | null;
}

export interface ValidToken {
  readonly ok: true;
  readonly token: AccessToken;
  readonly connection: StoredConnection;
  /** The status to report with the token: `failing` when served while failing, else the connection's. */
  readonly status: ConnectionStatus;
  readonly obtained: TokenObtained;
}

/** Why a failed refresh failed: the provider's answer of this call, or the stored last error. */
export interface FailureCause {
  readonly code: RefreshErrorCode;
  readonly providerError: string | null;
  readonly providerErrorDescription: string | null;
}

/** Why no valid token can be handed out. */
export type TokenFailure =
  /** No such connection (or it was deleted meanwhile), or its integration is gone. */
  | { readonly code: 'not_found'; readonly message: string }
  /** Only the end user can fix it: the grant was revoked, or it ran past the retry horizon or its end. */
  | { readonly code: 'needs_reauth'; readonly connection: StoredConnection }
  /** A forced refresh of a connection that has no refresh token. */
  | { readonly code: 'no_refresh_token'; readonly connection: StoredConnection }
  /**
   * Refreshing failed (in this call, or earlier and the connection is backing off) and the current
   * token is not valid. `cause` is null when a backoff has no recorded error.
   */
  | {
      readonly code: 'failing';
      readonly connection: StoredConnection;
      readonly cause: FailureCause | null;
      /** When the next attempt may succeed: the provider's Retry-After, else the backoff's due time (1 s … 1 day). */
      readonly retryAfterSeconds: number;
    }
  /** A forced refresh while the provider's own Retry-After is in force: no provider call was made. */
  | {
      readonly code: 'backing_off';
      readonly connection: StoredConnection;
      /** Epoch ms. */
      readonly retryAfterUntil: number;
      /** Until `retryAfterUntil` (1 s … 1 day). */
      readonly retryAfterSeconds: number;
    }
  /** Another worker's refresh held the connection past the wait. */
  | { readonly code: 'refresh_in_progress'; readonly message: string };

export type GetValidTokenResult = ValidToken | { readonly ok: false; readonly failure: TokenFailure };

/** Retry-After values are kept between a second and a day. */
const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * A valid access token for a connection (api.md `GET .../token`, the hot path). A token valid for
 * `minValiditySeconds` costs one consistent read and one decrypt; otherwise the SAME refresh
 * operation as the refresher's runs (`on_demand`, or `forced` with the generation seen here, so one
 * call causes at most one refresh), single-flight with every other refresh of the connection, here
 * or in another process. After a transient failure an unexpired current token is still served
 * (reliability.md promise 16). The state read here is decided on by the refresh's own rule
 * (./decide), once; a token read is counted unless the connection needs its user.
 *
 * Expected outcomes are values: a {@link TokenFailure} when there is no token to hand out.
 * @throws ServiceError `store_unavailable`, `keyring_unavailable`, `decrypt_failed`,
 *   `insufficient_time`, `lease_expired`; StaleFenceError (the refresh lost its lease).
 */
export async function getValidToken(
  deps: GetValidTokenDeps,
  key: ConnectionKey,
  options: GetValidTokenOptions,
): Promise<GetValidTokenResult> {
  const current = await deps.store.get(key);
  if (current === null) return failed({ code: 'not_found', message: notFoundMessage(key) });
  const request: RefreshRequest = {
    trigger: options.forceRefresh ? 'forced' : 'on_demand',
    minValiditySeconds: options.minValiditySeconds,
    observedGeneration: current.credentialGeneration,
    snapshot: current,
    ...(options.remainingTimeMs === undefined ? {} : { remainingTimeMs: options.remainingTimeMs }),
  };
  const early = decide(deps.refresh, current, request, current.credentialGeneration);
  if (early?.outcome === 'needs_reauth') return failed({ code: 'needs_reauth', connection: current });
  deps.tokenReads?.record(key);

  let result: RefreshResult;
  try {
    result = early ?? (await refreshConnection(deps.refresh, key, request));
  } catch (error) {
    if (isServiceError(error, 'not_found') || isServiceError(error, 'refresh_in_progress')) {
      return failed({
        code: error.code === 'not_found' ? 'not_found' : 'refresh_in_progress',
        message: error.message,
      });
    }
    throw error;
  }
  switch (result.outcome) {
    case 'refreshed':
      return validToken(deps, result.connection, 'refreshed', result.secrets);
    case 'refreshed_by_sibling':
    case 'not_needed': {
      // A sibling's new token, or one still fresh enough: the freshest there is.
      const { connection } = result;
      if (connection.status === 'needs_reauth') return failed({ code: 'needs_reauth', connection });
      return validToken(deps, connection, result.outcome === 'not_needed' ? 'fresh' : 'refreshed_by_sibling');
    }
    default: {
      const now = deps.clock.now();
      const failure = failureOf(result, now);
      const transient = failure.code === 'failing' || failure.code === 'backing_off';
      if (transient && isStillValid(failure.connection.accessTokenExpiresAt, now, 0)) {
        return validToken(deps, failure.connection, 'served_while_failing');
      }
      return failed(failure);
    }
  }
}

/**
 * Why a refresh result carries no token to hand out, as of `now`:
 * - revoked, or the connection needs its user → `needs_reauth`;
 * - the provider failed this call, or the connection backs off → `failing`, with the provider's
 *   Retry-After or the time until the backoff lets the next attempt run;
 * - a forced refresh while the provider's Retry-After is in force → `backing_off`;
 * - a forced refresh without a refresh token → `no_refresh_token`;
 * - another worker's lease (scheduled trigger only) → `refresh_in_progress`.
 */
export function failureOf(result: UnusableResult, now: number): TokenFailure {
  switch (result.outcome) {
    case 'lease_held':
      return { code: 'refresh_in_progress', message: 'a refresh is in progress' };
    case 'needs_reauth':
      return { code: 'needs_reauth', connection: result.connection };
    case 'no_refresh_token':
      return { code: 'no_refresh_token', connection: result.connection };
    case 'failed': {
      const { connection, failure } = result;
      if (failure.code === 'revoked' || connection.status === 'needs_reauth')
        return { code: 'needs_reauth', connection };
      return {
        code: 'failing',
        connection,
        cause: {
          code: failure.code,
          providerError: failure.providerError,
          providerErrorDescription: failure.providerErrorDescription,
        },
        retryAfterSeconds: retryAfterSeconds(connection, failure.retryAfterSeconds, now),
      };
    }
    case 'backing_off': {
      const { connection, retryAfterUntil } = result;
      if (connection.status === 'needs_reauth') return { code: 'needs_reauth', connection };
      if (retryAfterUntil !== undefined) {
        return {
          code: 'backing_off',
          connection,
          retryAfterUntil,
          retryAfterSeconds: clampRetryAfter((retryAfterUntil - now) / 1_000),
        };
      }
      const last = connection.lastError;
      return {
        code: 'failing',
        connection,
        cause:
          last === null
            ? null
            : {
                code: last.code,
                providerError: last.provider_error,
                providerErrorDescription: last.provider_error_description,
              },
        retryAfterSeconds: retryAfterSeconds(connection, null, now),
      };
    }
  }
}

/** The provider's Retry-After, else the time until the backoff lets the next attempt run, else 5 s. */
function retryAfterSeconds(
  connection: StoredConnection,
  providerSeconds: number | null,
  now: number,
): number {
  const untilDue =
    connection.nextRefreshAt === null ? null : Math.ceil((connection.nextRefreshAt - now) / 1_000);
  return clampRetryAfter(providerSeconds ?? untilDue ?? 5);
}

function clampRetryAfter(seconds: number): number {
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
}

/** The one place this use case decrypts: `secrets` when the refresh just produced them. */
async function validToken(
  deps: GetValidTokenDeps,
  connection: StoredConnection,
  obtained: TokenObtained,
  secrets?: TokenSecrets,
): Promise<ValidToken> {
  const { access_token } = secrets ?? (await decryptSecrets(deps.keyring, connection));
  return {
    ok: true,
    token: {
      accessToken: access_token,
      tokenType: connection.tokenType ?? 'Bearer',
      expiresAt: connection.accessTokenExpiresAt,
      scope: connection.scope,
    },
    connection,
    status: obtained === 'served_while_failing' ? 'failing' : connection.status,
    obtained,
  };
}

const failed = (failure: TokenFailure) => ({ ok: false, failure }) as const;

const notFoundMessage = (key: ConnectionKey) => `connection ${connectionKeyString(key)} not found`;
