import { randomBytes } from 'node:crypto';
import { createRefreshDeps } from '../../functions/compose';
import { DynamoConnectionStore } from '../../shared/adapters/aws/dynamodb/connections';
import { DynamoIntegrationStore } from '../../shared/adapters/aws/dynamodb/integrations';
import { createTokenClient } from '../../shared/adapters/http/token-client';
import { createLocalKeyring } from '../../shared/adapters/local/keyring';
import { createLogger } from '../../shared/adapters/powertools/logger';
import type { OutboxEvent } from '../../shared/domain/events';
import type { ConnectionKey } from '../../shared/domain/ids';
import type { IntegrationConfig } from '../../shared/domain/integration';
import type { TokenClient } from '../../shared/oauth/types';
import { type Clock, systemClock } from '../../shared/ports/clock';
import type { EventPublisher } from '../../shared/ports/events';
import type { Keyring } from '../../shared/ports/keyring';
import type { Failpoints } from '../../shared/refresh/failpoints';
import { type CredentialsInput, importCredentials } from '../../shared/refresh/import-credentials';
import { CachedIntegrationSource } from '../../shared/refresh/integration-source';
import type { parseRefreshOptions } from '../../shared/refresh/options';
import { refreshConnection } from '../../shared/refresh/refresh-connection';
import { saveIntegration } from '../../shared/refresh/save-integration';
import type { RefreshDeps, RefreshRequest } from '../../shared/refresh/types';
import type { TestDynamo } from './dynamo';
import { rememberSecret } from './secrets';

/** Records published events (in place of the SQS webhook queue). */
export class RecordingPublisher implements EventPublisher {
  readonly events: OutboxEvent[] = [];
  failNext = 0;
  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('publisher down');
    }
    this.events.push(...events);
  }
  types(): string[] {
    return this.events.map((e) => e.body.type);
  }
}

export interface CoreOptions {
  readonly dynamo: TestDynamo;
  readonly table: string;
  /** Share one keyring between "processes" (they share a master key / KMS key in real life). */
  readonly keyring?: Keyring;
  readonly tokenClient?: TokenClient;
  readonly clock?: Clock;
  readonly failpoints?: Failpoints;
  readonly options?: Parameters<typeof parseRefreshOptions>[0];
  readonly publisher?: RecordingPublisher;
  readonly owner?: string;
  /** Jitter source (seeded in randomised tests). @default Math.random */
  readonly random?: () => number;
}

/** One "process" of the service: its own store client, caches, single-flight map and lease owner id. */
export function createCore(opts: CoreOptions) {
  const keyring = opts.keyring ?? createLocalKeyring(randomBytes(32));
  const clock = opts.clock ?? systemClock;
  const store = new DynamoConnectionStore(opts.dynamo.client, { tableName: opts.table });
  const integrationStore = new DynamoIntegrationStore(opts.dynamo.client, opts.table);
  const integrations = new CachedIntegrationSource(integrationStore, keyring, clock);
  const publisher = opts.publisher ?? new RecordingPublisher();
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'WARN' });
  // The same assembly as the functions' roots, with test timing (short provider timeout and lease).
  const deps: RefreshDeps = createRefreshDeps({
    store,
    integrations,
    keyring,
    publisher,
    clock,
    logger,
    tokenClient: opts.tokenClient ?? createTokenClient({ allowPrivateUrls: true }),
    random: opts.random ?? Math.random,
    providerTimeoutMs: opts.options?.providerTimeoutMs ?? 2_000,
    options: { commitBudgetMs: 1_000, leaseMs: 8_000, ...opts.options },
    owner: opts.owner ?? `test-${randomBytes(4).toString('hex')}`,
    ...(opts.failpoints === undefined ? {} : { failpoints: opts.failpoints }),
  });
  return {
    deps,
    store,
    keyring,
    publisher,
    integrationStore,
    integrations,
    refresh: (key: ConnectionKey, request: RefreshRequest) => refreshConnection(deps, key, request),
    async putIntegration(integrationId: string, config: IntegrationConfig, clientSecret: string | null) {
      rememberSecret(clientSecret);
      await saveIntegration(
        { integrationStore, integrations, keyring, clock },
        integrationId,
        config,
        clientSecret,
      );
    },
    async importConnection(key: ConnectionKey, input: Partial<CredentialsInput>) {
      rememberSecret(input.accessToken, input.refreshToken);
      const { integration } = await integrations.get(key.integrationId);
      return importCredentials(
        { store, keyring, publisher, clock, random: opts.random ?? Math.random, logger },
        integration,
        key,
        {
          accessToken: input.accessToken ?? `imported-${randomBytes(12).toString('hex')}`,
          ...(input.refreshToken === undefined ? {} : { refreshToken: input.refreshToken }),
          expiresAt: input.expiresAt ?? clock.now() + 3_600_000,
          tokenType: input.tokenType ?? 'Bearer',
          scope: input.scope ?? null,
          raw: input.raw ?? {},
          ...(input.metadata === undefined ? {} : { metadata: input.metadata }),
        },
      );
    },
  };
}

export type Core = ReturnType<typeof createCore>;
