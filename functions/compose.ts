import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoConnectionStore } from '../shared/adapters/aws/dynamodb/connections';
import { DynamoHistoryStore } from '../shared/adapters/aws/dynamodb/history';
import { DynamoIntegrationStore } from '../shared/adapters/aws/dynamodb/integrations';
import { createKmsKeyring } from '../shared/adapters/aws/kms';
import { SqsEventPublisher } from '../shared/adapters/aws/sqs';
import { createTokenClient } from '../shared/adapters/http/token-client';
import { createLocalKeyring, loadOrCreateMasterKey } from '../shared/adapters/local/keyring';
import { createLogger } from '../shared/adapters/powertools/logger';
import { createMetrics } from '../shared/adapters/powertools/metrics';
import type { Config } from '../shared/config/config';
import type { TokenClient } from '../shared/oauth/types';
import { type Clock, systemClock } from '../shared/ports/clock';
import type { EventPublisher } from '../shared/ports/events';
import type { HistoryRecorder } from '../shared/ports/history';
import type { IntegrationSource } from '../shared/ports/integrations';
import type { Keyring } from '../shared/ports/keyring';
import type { Logger } from '../shared/ports/logger';
import type { MetricsSink } from '../shared/ports/metrics';
import type { ConnectionStore } from '../shared/ports/store';
import type { Failpoints } from '../shared/refresh/failpoints';
import { CachedIntegrationSource } from '../shared/refresh/integration-source';
import { leaseMsFor, parseRefreshOptions } from '../shared/refresh/options';
import { SingleFlight } from '../shared/refresh/single-flight';
import type { RefreshDeps, RefreshResult } from '../shared/refresh/types';

/**
 * What the four composition roots (`functions/<name>/deps.ts`) build alike: the adapters a
 * configuration selects (DynamoDB and SQS at their endpoints, KMS or the local keyring), plugged
 * into the ports. Only the roots import this file; handlers and use cases see ports.
 */

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A root's SDK clients: for instrumentation only (the benchmarks count their calls). */
export interface SdkClients {
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
}

/** What every root has besides its ports: its SDK clients, and `dispose` to close them. */
export interface Root {
  /** This root's SDK clients (instrumentation). */
  readonly clients: SdkClients;
  /** Closes the root's clients and timers (the local runtime's stop, tests). */
  dispose(): void;
}

/** Parts every function uses. */
export interface Base extends Root {
  readonly config: Config;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  readonly dynamo: DynamoDBClient;
  readonly store: DynamoConnectionStore;
  readonly integrationStore: DynamoIntegrationStore;
  readonly history: DynamoHistoryStore;
  /** The webhook queue, as the use cases publish events to it. */
  readonly publisher: EventPublisher;
  readonly sqs: SQSClient;
}

export interface BaseOverrides {
  readonly clock?: Clock;
}

export function createBase(config: Config, overrides: BaseOverrides = {}): Base {
  const clock = overrides.clock ?? systemClock;
  const dynamo = new DynamoDBClient({
    region: config.awsRegion,
    ...(config.dynamodbEndpoint === undefined
      ? {}
      : { endpoint: config.dynamodbEndpoint, credentials: localCredentials }),
  });
  const sqs = new SQSClient({
    region: config.awsRegion,
    ...(config.sqsEndpoint === undefined
      ? {}
      : { endpoint: config.sqsEndpoint, credentials: localCredentials }),
  });
  return {
    config,
    clock,
    logger: createLogger({ serviceName: config.serviceName, level: config.logLevel }),
    metrics: createMetrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
    dynamo,
    store: new DynamoConnectionStore(dynamo, { tableName: config.tableName, dueShards: config.dueShards }),
    integrationStore: new DynamoIntegrationStore(dynamo, config.tableName),
    history: new DynamoHistoryStore(dynamo, {
      tableName: config.tableName,
      retentionMs: config.historyRetentionDays * 86_400_000,
    }),
    sqs,
    publisher: new SqsEventPublisher(sqs, config.webhookQueueUrl),
    clients: { dynamo, sqs },
    dispose: () => {
      dynamo.destroy();
      sqs.destroy();
    },
  };
}

/** What the functions that touch secrets add: the keyring and integrations with their client secrets. */
export interface Secrets {
  readonly keyring: Keyring;
  readonly integrations: CachedIntegrationSource;
}

/**
 * The keyring (KMS on AWS, `KMS_KEY_ID`; locally the master key, `MASTER_KEY` or
 * `${DATA_DIR}/master.key`) and the integration source that decrypts client secrets with it.
 * Only the api and refresher roots build it: the scheduler and the webhook sender hold no secrets
 * of connections, and their bundles carry no KMS client.
 */
export async function createSecrets(config: Config, base: Base): Promise<Secrets> {
  const keyring = await createKeyring(config);
  return { keyring, integrations: new CachedIntegrationSource(base.integrationStore, keyring, base.clock) };
}

async function createKeyring(config: Config): Promise<Keyring> {
  if (config.kmsKeyId !== undefined) {
    return createKmsKeyring(new KMSClient({ region: config.awsRegion }), config.kmsKeyId);
  }
  return createLocalKeyring(
    await loadOrCreateMasterKey({
      ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
      ...(config.masterKey === undefined ? {} : { envValue: config.masterKey }),
    }),
  );
}

/** Timing overrides as `parseRefreshOptions` takes them (tests). */
type RefreshOptionsInput = NonNullable<Parameters<typeof parseRefreshOptions>[0]>;

/** The ports and settings a refresh needs; everything else has a production default. */
export interface RefreshParts {
  readonly store: ConnectionStore;
  readonly integrations: IntegrationSource;
  readonly keyring: Keyring;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly history?: HistoryRecorder;
  readonly providerTimeoutMs: number;
  /** Overrides of the timing derived from `providerTimeoutMs` (tests). */
  readonly options?: RefreshOptionsInput;
  readonly tokenClient?: TokenClient;
  readonly allowPrivateUrls?: boolean;
  readonly owner?: string;
  readonly random?: () => number;
  readonly failpoints?: Failpoints;
}

/**
 * The refresh use case's dependencies: one assembly for the API and refresher roots, the tests and
 * the benchmarks. The lease follows the provider timeout by the one rule in shared/refresh/options.
 */
export function createRefreshDeps(parts: RefreshParts): RefreshDeps {
  return {
    store: parts.store,
    integrations: parts.integrations,
    keyring: parts.keyring,
    publisher: parts.publisher,
    clock: parts.clock,
    logger: parts.logger,
    ...(parts.history === undefined ? {} : { history: parts.history }),
    tokenClient:
      parts.tokenClient ?? createTokenClient({ allowPrivateUrls: parts.allowPrivateUrls ?? false }),
    random: parts.random ?? Math.random,
    options: parseRefreshOptions({
      providerTimeoutMs: parts.providerTimeoutMs,
      leaseMs: leaseMsFor(parts.providerTimeoutMs),
      ...parts.options,
    }),
    owner: parts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
    flights: new SingleFlight<RefreshResult>(),
    ...(parts.failpoints === undefined ? {} : { failpoints: parts.failpoints }),
  };
}

/**
 * A root built once per container (Lambda) on first use. A failed build is not kept, so the next
 * invocation reports the problem again rather than a stale one.
 */
export function perContainer<T>(build: () => Promise<T>): () => Promise<T> {
  let current: Promise<T> | undefined;
  return () => {
    if (current === undefined) {
      const building = build();
      current = building;
      building.catch(() => {
        if (current === building) current = undefined;
      });
    }
    return current;
  };
}
