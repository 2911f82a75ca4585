import type { TokenSecrets } from '../domain/connection';
import type { ConnectionKey } from '../domain/ids';
import type { ResolvedIntegration } from '../domain/integration';
import { StaleFenceError } from '../errors';
import { jwtExpiry } from '../oauth/expiry';
import { computeNextRefreshAt } from '../policy/schedule';
import type { Clock, Random } from '../ports/clock';
import type { EventPublisher } from '../ports/events';
import type { Keyring } from '../ports/keyring';
import type { Logger } from '../ports/logger';
import type { ConnectionStore, StoredConnection } from '../ports/store';
import { buildEvent } from './events';
import { publishOutbox } from './outbox';
import { encodeSecrets, tokensContext } from './secrets';

/** Credentials obtained elsewhere (api.md `PUT .../connections/{id}`, or the connect flow's code exchange). */
export interface CredentialsInput {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  /** Epoch ms, from `expires_in`/`expires_at`; null derives it (JWT `exp`) or treats the token as non-expiring. */
  readonly expiresAt: number | null;
  readonly tokenType: string | null;
  readonly scope: string | null;
  readonly raw: Readonly<Record<string, unknown>>;
  /** Replaces the stored metadata when given. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface ImportDeps {
  readonly store: ConnectionStore;
  readonly keyring: Keyring;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
}

/**
 * Stores new credentials for a connection, creating it if new. The connection becomes `active`;
 * one that was `failing` or `needs_reauth` emits `connection.reauthorized` (in the same write, via
 * the outbox). Wins over an in-flight refresh: the write bumps `version`, so that refresh's commit
 * fails on its fence and cannot overwrite the new credentials.
 */
export async function importCredentials(
  deps: ImportDeps,
  integration: ResolvedIntegration,
  key: ConnectionKey,
  input: CredentialsInput,
): Promise<{ connection: StoredConnection; created: boolean }> {
  const secrets: TokenSecrets = {
    access_token: input.accessToken,
    refresh_token: input.refreshToken,
    raw: { ...input.raw },
  };
  const ciphertext = await deps.keyring.encrypt(encodeSecrets(secrets), tokensContext(key));
  for (let attempt = 0; ; attempt++) {
    const existing = await deps.store.get(key);
    const now = deps.clock.now();
    const expiresAt = input.expiresAt ?? jwtExpiry(input.accessToken, now);
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
    try {
      const connection = await deps.store.put(
        key,
        existing?.version ?? null,
        {
          provider: integration.provider,
          status: 'active',
          secretsCiphertext: ciphertext,
          tokenType: input.tokenType,
          scope: input.scope,
          accessTokenExpiresAt: expiresAt,
          lastLifetimeSeconds: lifetimeSeconds,
          lastRefreshAt: now,
          nextRefreshAt: computeNextRefreshAt({
            now,
            expiresAt,
            lastRefreshAt: now,
            settings: integration.refresh,
            random: deps.random,
          }),
          consecutiveFailures: 0,
          failingSince: null,
          lastError: null,
          ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
          events,
        },
        now,
      );
      deps.logger.info('credentials stored', {
        integration_id: key.integrationId,
        connection_id: key.connectionId,
        created: existing === null,
        reauthorized,
      });
      await publishOutbox(deps, connection);
      return { connection, created: existing === null };
    } catch (error) {
      // Raced with a refresh commit or another import: read again and retry a few times.
      if (!(error instanceof StaleFenceError) || attempt >= 4) throw error;
    }
  }
}
