import type { TokenSecrets } from '../domain/connection';
import type { ConnectionKey } from '../domain/ids';
import type { ResolvedIntegration } from '../domain/integration';
import { ServiceError, StaleFenceError } from '../errors';
import { clampExpiry, jwtExpiry, resolveRefreshTokenExpiry } from '../oauth/expiry';
import { configuredReauthDueAt, type GrantClocks, idleExpiry } from '../policy/grant-clocks';
import { computeNextRefreshAt } from '../policy/schedule';
import type { Clock, Random } from '../ports/clock';
import type { EventPublisher } from '../ports/events';
import type { HistoryRecorder } from '../ports/history';
import type { Keyring } from '../ports/keyring';
import type { Logger } from '../ports/logger';
import { type ConnectionStore, fenceOf, type NewConnection, type StoredConnection } from '../ports/store';
import { buildEvent } from './events';
import { withGrantClocks } from './lifecycle';
import { publishOutbox } from './outbox';
import { decryptSecrets, encodeSecrets, tokensContext } from './secrets';

/** Credentials obtained elsewhere (api.md `PUT .../connections/{id}`, or the connect flow's code exchange). */
export interface CredentialsInput {
  readonly accessToken: string;
  /**
   * The new refresh token. Absent: keep a stored one that is still good (an import or a reconnect
   * whose answer carries none must not wipe a working grant; reliability.md promise 26). `null`:
   * the caller says there is none, and a stored one is dropped.
   */
  readonly refreshToken?: string | null;
  /** Epoch ms, from `expires_in`/`expires_at`; null derives it (JWT `exp`) or treats the token as non-expiring. */
  readonly expiresAt: number | null;
  readonly tokenType: string | null;
  readonly scope: string | null;
  readonly raw: Readonly<Record<string, unknown>>;
  /** Replaces the stored metadata when given. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * The provider account these credentials belong to (`<iss>|<sub>`, the connect flow's ID token).
   * Absent or null (unknown) keeps the stored one. A known account that differs from the stored one
   * is refused ({@link AccountMismatchError}) unless `allowAccountChange`: checked against the item
   * the fenced write replaces, so no concurrent reconnect slips past it.
   */
  readonly accountId?: string | null;
  readonly allowAccountChange?: boolean;
  /**
   * api.md v1.1: when the grant was authorized (epoch ms; an import's `authorized_at`). Default: now
   * for a new grant, the stored time for the same grant.
   */
  readonly authorizedAt?: number;
  /**
   * The connect flow's code exchange: always a new grant (its own clock, its own reauth_due). An
   * import is a new grant when its refresh token differs from the stored one.
   */
  readonly newGrant?: boolean;
}

/** A reconnect authorized another provider account than the connection's; nothing was written. */
export class AccountMismatchError extends ServiceError {
  constructor(key: ConnectionKey) {
    super(
      'account_mismatch',
      `connection ${key.integrationId}/${key.connectionId} belongs to another provider account`,
    );
    this.name = 'AccountMismatchError';
  }
}

export interface ImportDeps {
  readonly store: ConnectionStore;
  readonly keyring: Keyring;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** History (api.md v1.1): the import or reconnect and its events; best effort, after the write. */
  readonly history?: HistoryRecorder;
  /** How long an import waits for a refresh in flight to end (its lease). @default 10 s */
  readonly leaseWaitMs?: number;
}

const DEFAULT_LEASE_WAIT_MS = 10_000;
const LEASE_POLL_MS = 100;

/**
 * Stores new credentials for a connection, creating it if new. The connection becomes `active`;
 * one that was `failing` or `needs_reauth` emits `connection.reauthorized` (in the same write, via
 * the outbox). Waits (bounded) for a refresh in flight to commit first, never cutting into its
 * lease; a refresh that starts after the read fails the write's fence, and the import reads again.
 * @throws ServiceError `refresh_in_progress` when a refresh holds the lease past the wait.
 */
export async function importCredentials(
  deps: ImportDeps,
  integration: ResolvedIntegration,
  key: ConnectionKey,
  input: CredentialsInput,
): Promise<{ connection: StoredConnection; created: boolean }> {
  const deadline = deps.clock.now() + (deps.leaseWaitMs ?? DEFAULT_LEASE_WAIT_MS);
  for (let attempt = 0; ; attempt++) {
    const existing = await deps.store.get(key);
    // An import never cuts into a refresh in flight: that refresh may have presented the stored
    // refresh token already, and the rotated one exists only in that worker until its commit.
    // Writing now would fail that commit on its fence, and the next refresh would present a token
    // a strict provider has retired, revoking the grant. Wait for the lease to end instead.
    if (existing !== null && existing.leaseUntil !== null && existing.leaseUntil > deps.clock.now()) {
      if (deps.clock.now() >= deadline) {
        throw new ServiceError(
          'refresh_in_progress',
          `a refresh of ${key.integrationId}/${key.connectionId} is in progress; import again shortly`,
        );
      }
      await deps.clock.sleep(LEASE_POLL_MS);
      attempt -= 1; // waiting out a lease is not a retry
      continue;
    }
    const storedAccount = existing?.accountId ?? null;
    const account = input.accountId ?? null;
    if (
      storedAccount !== null &&
      account !== null &&
      account !== storedAccount &&
      input.allowAccountChange !== true
    ) {
      throw new AccountMismatchError(key);
    }
    const refreshToken =
      input.refreshToken !== undefined ? input.refreshToken : await keptRefreshToken(deps, existing);
    const newGrant =
      input.newGrant === true ||
      existing === null ||
      (input.refreshToken != null && input.refreshToken !== (await storedRefreshToken(deps, existing)));
    const secrets: TokenSecrets = {
      access_token: input.accessToken,
      refresh_token: refreshToken,
      raw: { ...input.raw },
    };
    const ciphertext = await deps.keyring.encrypt(encodeSecrets(secrets), tokensContext(key));
    const now = deps.clock.now();
    const expiresAt = clampExpiry(input.expiresAt ?? jwtExpiry(input.accessToken, now), now);
    const lifetimeSeconds = expiresAt === null ? null : Math.max(1, Math.round((expiresAt - now) / 1000));
    const reauthorized = existing !== null && existing.status !== 'active';
    const events = reauthorized
      ? [
          buildEvent(
            'connection.reauthorized',
            existing,
            { status: 'active', consecutiveFailures: 0, accessTokenExpiresAt: expiresAt, error: null },
            now,
          ),
        ]
      : [];
    // Without a refresh token nothing is ever refreshed: due only at the expiry, to hand the
    // connection to its user then (never, for a token that does not expire).
    const nextRefreshAt =
      refreshToken === null
        ? expiresAt
        : computeNextRefreshAt({
            now,
            expiresAt,
            lastRefreshAt: now,
            settings: integration.refresh,
            random: deps.random,
          });
    const lifecycle = grantLifecycle(integration, existing, refreshToken, newGrant, input.authorizedAt, now);
    try {
      const value: NewConnection = {
        provider: integration.provider,
        status: 'active',
        secretsCiphertext: ciphertext,
        hasRefreshToken: refreshToken !== null,
        retryAfterUntil: null,
        tokenType: input.tokenType,
        scope: input.scope,
        accessTokenExpiresAt: expiresAt,
        lastLifetimeSeconds: lifetimeSeconds,
        lastRefreshAt: now,
        nextRefreshAt,
        consecutiveFailures: 0,
        failingSince: null,
        lastError: null,
        ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
        ...(account === null ? {} : { accountId: account }),
        events,
      };
      const connection = await deps.store.put(
        key,
        existing === null ? null : fenceOf(existing),
        lifecycle === null ? value : withLifecycle(key, integration, value, lifecycle, existing, now),
        now,
      );
      deps.logger.info('credentials stored', {
        integration_id: key.integrationId,
        connection_id: key.connectionId,
        created: existing === null,
        reauthorized,
        refresh_token: input.refreshToken !== undefined ? 'given' : refreshToken === null ? 'none' : 'kept',
      });
      await publishOutbox(deps, connection);
      if (deps.history !== undefined) {
        await deps.history
          .grant(key, input.newGrant === true ? 'reconnect' : 'import', now, newGrant)
          .catch((error: unknown) =>
            deps.logger.warn('history write failed', {
              integration_id: key.integrationId,
              connection_id: key.connectionId,
              error: error instanceof Error ? error.name : 'unknown',
            }),
          );
      }
      return { connection, created: existing === null };
    } catch (error) {
      // Raced with a refresh commit or another import: read again and retry a few times.
      if (!(error instanceof StaleFenceError) || attempt >= 4) throw error;
    }
  }
}

/**
 * The stored refresh token when it is still good: not one the provider rejected (`revoked`), and
 * readable. Anything else gives null (the connection then has no refresh token).
 */
async function keptRefreshToken(deps: ImportDeps, existing: StoredConnection | null): Promise<string | null> {
  if (existing === null || existing.hasRefreshToken === false) return null;
  if (existing.status === 'needs_reauth' && existing.lastError?.code === 'revoked') return null;
  const stored = await decryptSecrets(deps.keyring, existing);
  return stored.refresh_token;
}

/** The stored refresh token, for telling a new grant from the same one; null when none or unreadable. */
async function storedRefreshToken(deps: ImportDeps, existing: StoredConnection): Promise<string | null> {
  if (existing.hasRefreshToken === false) return null;
  try {
    return (await decryptSecrets(deps.keyring, existing)).refresh_token;
  } catch {
    return null;
  }
}

/**
 * The grant clocks an import or reconnect stores (api.md v1.1). A new grant starts its own clock
 * (authorized now, unless the import says when) and may be warned again; the same grant keeps its
 * authorization time, its detected end and its warning. Null without a refresh token (nothing to
 * keep alive, nothing to warn about: the access token's expiry ends it).
 */
function grantLifecycle(
  integration: ResolvedIntegration,
  existing: StoredConnection | null,
  refreshToken: string | null,
  newGrant: boolean,
  authorizedAtInput: number | undefined,
  now: number,
): { clocks: GrantClocks; authorizedAt: number; warned: boolean } | null {
  if (refreshToken === null) return null;
  const settings = integration.refresh;
  const same = !newGrant && existing !== null;
  const authorizedAt = Math.min(
    authorizedAtInput ?? (same ? (existing.authorizedAt ?? existing.createdAt) : now),
    now,
  );
  const refreshTokenExpiresAt =
    resolveRefreshTokenExpiry({ expiresIn: undefined, refreshToken, now }) ??
    idleExpiry(settings, now) ??
    (same ? (existing.refreshTokenExpiresAt ?? null) : null);
  const reauthDueAt =
    configuredReauthDueAt(settings, authorizedAt) ?? (same ? (existing.reauthDueAt ?? null) : null);
  return {
    clocks: { refreshTokenExpiresAt, reauthDueAt },
    authorizedAt,
    warned: same && existing.reauthWarned === true,
  };
}

function withLifecycle(
  key: ConnectionKey,
  integration: ResolvedIntegration,
  value: NewConnection,
  lifecycle: { clocks: GrantClocks; authorizedAt: number; warned: boolean },
  existing: StoredConnection | null,
  now: number,
): NewConnection {
  const patched = withGrantClocks({ ...key, provider: integration.provider }, value, lifecycle.clocks, {
    warned: lifecycle.warned,
    settings: integration.refresh,
    now,
  });
  return {
    ...value,
    ...patched,
    // Stored only when it differs from the creation time it otherwise reads as.
    authorizedAt: lifecycle.authorizedAt === (existing?.createdAt ?? now) ? null : lifecycle.authorizedAt,
    reauthWarned: patched.reauthWarned === true || lifecycle.warned,
  };
}
