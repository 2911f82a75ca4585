import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Config, loadConfig } from './config/config';
import { TOKEN_READS_FLUSH_MS, TokenReadCounter } from './history/token-reads';
import { createKmsKeyring } from './keyring/kms';
import { createLocalKeyring, loadOrCreateMasterKey } from './keyring/local';
import { createLogger } from './log';
import { createMetrics } from './metrics';
import { createTokenClient } from './oauth/client';
import { SqsEventPublisher } from './pipeline/sqs';
import { type Clock, systemClock } from './ports/clock';
import type { EventPublisher } from './ports/events';
import type { Keyring } from './ports/keyring';
import type { Logger } from './ports/logger';
import type { MetricsSink } from './ports/metrics';
import { CachedIntegrationSource } from './refresh/integration-source';
import { parseRefreshOptions } from './refresh/options';
import type { RefreshDeps, RefreshResult } from './refresh/refresh-connection';
import { SingleFlight } from './refresh/single-flight';
import { DynamoConnectionStore } from './store/connections';
import { DynamoHistoryStore } from './store/history';
import { DynamoIntegrationStore } from './store/integrations';

/** Everything a function needs, built once per process (Lambda container or local runtime). */
export interface Runtime {
  readonly config: Config;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly keyring: Keyring;
  readonly store: DynamoConnectionStore;
  readonly integrationStore: DynamoIntegrationStore;
  readonly integrations: CachedIntegrationSource;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly refresh: RefreshDeps;
  /** api.md v1.1 connection history (optional: runtimes built by hand may leave it out). */
  readonly history?: DynamoHistoryStore;
  /** Token reads counted per process, flushed at most once a minute. */
  readonly tokenReads?: TokenReadCounter;
}

/** The history recorder of a runtime, as an optional dependency of the use cases. */
export function historyOf(rt: Pick<Runtime, 'history'>): { history?: DynamoHistoryStore } {
  return rt.history === undefined ? {} : { history: rt.history };
}

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Builds a runtime from a configuration. Clients point at local endpoints when configured. */
export async function createRuntime(config: Config, overrides: { clock?: Clock } = {}): Promise<Runtime> {
  const clock = overrides.clock ?? systemClock;
  const region = config.awsRegion;
  const dynamo = new DynamoDBClient({
    region,
    ...(config.dynamodbEndpoint === undefined
      ? {}
      : { endpoint: config.dynamodbEndpoint, credentials: localCredentials }),
  });
  const sqs = new SQSClient({
    region,
    ...(config.sqsEndpoint === undefined
      ? {}
      : { endpoint: config.sqsEndpoint, credentials: localCredentials }),
  });
  const keyring =
    config.kmsKeyId === undefined
      ? createLocalKeyring(
          await loadOrCreateMasterKey({
            ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
            ...(config.masterKey === undefined ? {} : { envValue: config.masterKey }),
          }),
        )
      : createKmsKeyring(new KMSClient({ region }), config.kmsKeyId);
  const logger = createLogger({ serviceName: config.serviceName, level: config.logLevel });
  const metrics = createMetrics({ namespace: config.metricsNamespace, serviceName: config.serviceName });
  const store = new DynamoConnectionStore(dynamo, {
    tableName: config.tableName,
    dueShards: config.dueShards,
  });
  const integrationStore = new DynamoIntegrationStore(dynamo, config.tableName);
  const integrations = new CachedIntegrationSource(integrationStore, keyring, clock);
  const publisher = new SqsEventPublisher(sqs, config.webhookQueueUrl);
  const history = new DynamoHistoryStore(dynamo, {
    tableName: config.tableName,
    retentionMs: config.historyRetentionDays * 86_400_000,
  });
  const tokenReads = new TokenReadCounter(history, clock, logger);
  // While the process lives, pending token-read counts are written within a minute.
  setInterval(() => void tokenReads.flush(), TOKEN_READS_FLUSH_MS).unref();
  const refresh: RefreshDeps = {
    history,
    store,
    integrations,
    keyring,
    tokenClient: createTokenClient({ allowPrivateUrls: config.allowPrivateUrls }),
    publisher,
    clock,
    random: Math.random,
    logger,
    options: parseRefreshOptions({
      providerTimeoutMs: config.providerTimeoutMs,
      leaseMs: config.providerTimeoutMs * 2 + 5_000 + 10_000,
    }),
    owner: `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    flights: new SingleFlight<RefreshResult>(),
  };
  return {
    config,
    dynamo,
    sqs,
    keyring,
    store,
    integrationStore,
    integrations,
    publisher,
    clock,
    logger,
    metrics,
    refresh,
    history,
    tokenReads,
  };
}

let current: Promise<Runtime> | undefined;

/**
 * The process-wide runtime, built on first use from `process.env` (Lambda: once per container).
 * A failed build is not cached, so the next invocation reports the problem again.
 */
export function getRuntime(): Promise<Runtime> {
  if (current === undefined) {
    const building = createRuntime(loadConfig());
    current = building;
    building.catch(() => {
      if (current === building) current = undefined;
    });
  }
  return current;
}

/** Forget the process-wide runtime (the local runtime calls it on start, after setting the environment). */
export function resetRuntime(): void {
  const old = current;
  current = undefined;
  void old?.then(
    (rt) => {
      rt.dynamo.destroy();
      rt.sqs.destroy();
    },
    () => undefined,
  );
}
