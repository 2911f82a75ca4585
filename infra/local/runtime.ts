import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoApiKeyStore } from '../../shared/adapters/aws/dynamodb/api-keys';
import { loadConfig } from '../../shared/config/config';
import { systemClock } from '../../shared/ports/clock';
import type { Logger } from '../../shared/ports/logger';
import { generateWebhookSecret } from '../../shared/webhooks/signing';
import { dropScanClaims } from './claims';
import {
  API_KEY_FILE,
  apiKeyDigest,
  generateApiKey,
  loadOrCreateSecret,
  lockDataDir,
  readLocalConfig,
  type SecretSource,
  WEBHOOK_SECRET_FILE,
} from './config';
import { type ControlHandler, controlHandler, wasPaused } from './control';
import { ensureTable, type LocalDynamo, startDynalite } from './dynalite';
import { applyEnv, functionEnvironment } from './environment';
import { buildFunctions, invokeScheduler, LOCAL_FUNCTIONS, type LocalFunctions } from './functions';
import { type ApiHandler, type LocalHttpServer, startHttpServer } from './http';
import { restorePendingMessages, savePendingMessages } from './pending-messages';
import { type Poller, type SqsHandler, startPoller } from './poller';
import { DEFAULT_QUEUE_NAMES, ensureQueues, type LocalSqs, type QueueRef, startLocalSqs } from './sqs';
import { type ScanTimer, startScanTimer } from './timer';
import { startTtlSweeper } from './ttl';

/** How often the local TTL stand-in deletes expired items. */
const TTL_SWEEP_INTERVAL_MS = 5 * 60_000;

export interface LocalRuntimeOptions {
  /** Overrides `PORT`; 0 picks a free port. */
  readonly port?: number;
  /** Overrides `DATA_DIR`. */
  readonly dataDir?: string;
  /** Overrides `SCAN_INTERVAL_SECONDS`. */
  readonly scanIntervalSeconds?: number;
  /** Merged over `process.env` (api.md variables, and any the functions read, e.g. `PROVIDER_TIMEOUT_MS`). */
  readonly env?: Readonly<Record<string, string>>;
  /** `true`: DynamoDB on disk in `${DATA_DIR}/dynamodb`; `false`: in memory (tests). @default true */
  readonly persist?: boolean;
  /** Where the runtime's own lines go (never secrets). @default console.log */
  readonly log?: (line: string) => void;
}

export interface LocalRuntime {
  readonly url: string;
  readonly port: number;
  readonly publicUrl: string;
  readonly dataDir: string;
  readonly tableName: string;
  readonly scanIntervalSeconds: number;
  readonly apiKey: string;
  /** What the API compares (hex SHA-256), passed to the functions as `ADMIN_API_KEY_SHA256`. */
  readonly apiKeySha256: string;
  readonly apiKeySource: SecretSource;
  readonly webhookSecret: string;
  readonly webhookSecretSource: SecretSource;
  readonly webhookUrl: string | undefined;
  readonly queues: {
    readonly refresh: string;
    readonly refreshDlq: string;
    readonly webhooks: string;
    readonly webhooksDlq: string;
  };
  readonly sqs: SQSClient;
  readonly dynamo: DynamoDBClient;
  /** Each function's dependencies, built by its composition root (tests reach the ports here). */
  readonly functions: LocalFunctions['roots'];
  /** The four handlers as the runtime invokes them. */
  readonly handlers: LocalFunctions['handlers'];
  /** Where the embedded stand-ins listen. */
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string };
  /** Queued messages (events, refresh tasks, DLQs) saved by the previous `stop()` and sent again at this start. */
  readonly restoredMessages: number;
  /** Runs the scheduler once (after any run in progress) and resolves with its result. */
  runScanNow(): Promise<unknown>;
  /** The scan timer: paused and resumed by `npm run ops -- schedule` (through `/local/ops/`). */
  readonly timer: Pick<ScanTimer, 'status' | 'pause' | 'resume'>;
  /** Stops everything, waits for in-flight work, saves queued messages for the next start. Idempotent. */
  stop(): Promise<void>;
}

let active = false;

/**
 * Starts the whole service on embedded stand-ins (design.md "Local runtime"): dynalite, fauxqs,
 * a timer in place of EventBridge Scheduler, pollers in place of event-source mappings and an HTTP
 * server in place of API Gateway, all running the real handlers. One at a time per process (the
 * functions read `process.env`); restartable after `stop()`, also on the same `DATA_DIR`.
 * @throws ServiceError `config_invalid` listing every bad variable; `EADDRINUSE` when PORT is taken.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  if (active) throw new Error('a local runtime is already running in this process');
  active = true;
  const logger = lineLogger(options.log ?? ((line: string) => console.log(line)));
  const parts: Parts = { pollers: [] };
  try {
    const env = { ...process.env, ...options.env };
    const config = readLocalConfig({
      ...env,
      ...(options.port === undefined ? {} : { PORT: String(options.port) }),
      ...(options.dataDir === undefined ? {} : { DATA_DIR: options.dataDir }),
      ...(options.scanIntervalSeconds === undefined
        ? {}
        : { SCAN_INTERVAL_SECONDS: String(options.scanIntervalSeconds) }),
    });
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    parts.unlock = await lockDataDir(config.dataDir);
    const apiKey = await loadOrCreateSecret(config.dataDir, API_KEY_FILE, config.apiKey, generateApiKey);
    const secret = await loadOrCreateSecret(
      config.dataDir,
      WEBHOOK_SECRET_FILE,
      config.webhookSecret,
      generateWebhookSecret,
    );

    parts.dynamo = await startDynalite(
      options.persist === false ? {} : { path: join(config.dataDir, 'dynamodb') },
    );
    await ensureTable(parts.dynamo.client, config.tableName);
    // The queues start empty (or with what a clean stop saved): claims on lost tasks must not
    // hold their connections back.
    await dropScanClaims(parts.dynamo.client, config.tableName);
    // dynalite has no TTL: expired connect sessions and scan claims are swept here instead.
    parts.ttl = startTtlSweeper({
      client: parts.dynamo.client,
      tableName: config.tableName,
      clock: systemClock,
      logger,
      intervalMs: TTL_SWEEP_INTERVAL_MS,
    });
    const sqs = await startLocalSqs();
    parts.sqs = sqs;
    const queues = await ensureQueues(sqs.client);
    const restoredMessages = await restorePendingMessages(sqs.client, queues, config.dataDir);
    // Only now: a start that failed to restore must not overwrite the saved file at shutdown.
    parts.saveMessagesTo = config.dataDir;
    if (restoredMessages > 0) logger.info(`re-queued ${restoredMessages} message(s) saved at the last stop`);

    // Listen first (with PORT 0 the port, and so the default PUBLIC_URL, is known only then); requests
    // wait for the api function, which is imported only once the environment is set.
    let resolveApi: (handler: ApiHandler) => void = () => {};
    // The operator channel (./control.ts) beside the API, wired once the timer runs.
    let control: ControlHandler | undefined;
    const api = new Promise<ApiHandler>((resolve) => {
      resolveApi = resolve;
    });
    parts.http = await startHttpServer({
      port: config.port,
      host: '127.0.0.1',
      functionName: LOCAL_FUNCTIONS.api.name,
      functionTimeoutMs: LOCAL_FUNCTIONS.api.timeoutMs,
      handler: async (event, context) => (await api)(event, context),
      localRoutes: async (req, body) => control?.(req, body),
      logger,
    });
    const publicUrl = config.publicUrl ?? parts.http.url;

    const endpoints = {
      dynamodb: parts.dynamo.endpoint,
      sqs: sqs.endpoint,
      queues,
      publicUrl,
      webhookSecret: secret.value,
      adminApiKeySha256: apiKeyDigest(apiKey.value),
    };
    parts.restoreEnv = applyEnv({ ...options.env, ...functionEnvironment(config, endpoints, env) });
    // Fails now, naming every bad variable, rather than on the first message.
    parts.functions = await buildFunctions(loadConfig());
    const { handlers } = parts.functions;
    resolveApi(handlers.api);

    const poll = (fn: 'refresher' | 'webhookSender', queue: QueueRef, handler: SqsHandler) => {
      const { name, timeoutMs, concurrency } = LOCAL_FUNCTIONS[fn];
      const source = { sqs: sqs.client, queueUrl: queue.url, queueArn: queue.arn };
      parts.pollers.push(
        startPoller({
          ...source,
          handler,
          name,
          batchSize: 10,
          functionTimeoutMs: timeoutMs,
          concurrency,
          logger,
        }),
      );
    };
    poll('refresher', queues.refresh, handlers.refresher);
    poll('webhookSender', queues.webhooks, handlers.webhookSender);
    const paused = await wasPaused(config.dataDir);
    const timer = startScanTimer({
      intervalMs: config.scanIntervalSeconds * 1000,
      run: () => invokeScheduler(handlers.scheduler),
      paused,
      logger,
    });
    parts.timer = timer;
    if (paused)
      logger.warn('scheduled scans are paused (by an operator); resume: npm run ops -- schedule resume');
    const keys = new DynamoApiKeyStore(parts.dynamo.client, config.tableName, systemClock, {
      bootstrapAdminSha256: endpoints.adminApiKeySha256,
    });
    control = controlHandler({
      timer,
      sqs: sqs.client,
      inspect: (name) => sqs.inspect(name),
      queues: {
        refresh: {
          sourceName: DEFAULT_QUEUE_NAMES.refresh,
          dlqName: DEFAULT_QUEUE_NAMES.refreshDlq,
          sourceUrl: queues.refresh.url,
          dlqUrl: queues.refreshDlq.url,
        },
        webhooks: {
          sourceName: DEFAULT_QUEUE_NAMES.webhooks,
          dlqName: DEFAULT_QUEUE_NAMES.webhooksDlq,
          sourceUrl: queues.webhooks.url,
          dlqUrl: queues.webhooksDlq.url,
        },
      },
      isAdmin: async (key) => (await keys.authenticate(key))?.scopes.includes('admin') === true,
      dataDir: config.dataDir,
      logger,
    });

    let stopping: Promise<void> | undefined;
    return {
      url: parts.http.url,
      port: parts.http.port,
      publicUrl,
      dataDir: config.dataDir,
      tableName: config.tableName,
      scanIntervalSeconds: config.scanIntervalSeconds,
      apiKey: apiKey.value,
      apiKeySha256: apiKeyDigest(apiKey.value),
      apiKeySource: apiKey.source,
      webhookSecret: secret.value,
      webhookSecretSource: secret.source,
      webhookUrl: config.webhookUrl,
      queues: {
        refresh: queues.refresh.url,
        refreshDlq: queues.refreshDlq.url,
        webhooks: queues.webhooks.url,
        webhooksDlq: queues.webhooksDlq.url,
      },
      sqs: sqs.client,
      dynamo: parts.dynamo.client,
      functions: parts.functions.roots,
      handlers,
      endpoints: { dynamodb: parts.dynamo.endpoint, sqs: sqs.endpoint },
      restoredMessages,
      runScanNow: () => timer.runNow(),
      timer,
      stop: () => {
        stopping ??= shutdown(parts, logger);
        return stopping;
      },
    };
  } catch (error) {
    await shutdown(parts, logger);
    throw error;
  }
}

/** Whatever has started so far; `shutdown` closes it in dependency order. */
interface Parts {
  unlock?: () => Promise<void>;
  dynamo?: LocalDynamo;
  sqs?: LocalSqs;
  /** Set once the queues exist (and any saved messages are back in them). */
  saveMessagesTo?: string;
  http?: LocalHttpServer;
  restoreEnv?: () => void;
  functions?: LocalFunctions;
  timer?: ScanTimer;
  ttl?: ScanTimer;
  pollers: Poller[];
}

async function shutdown(parts: Parts, logger: Logger): Promise<void> {
  try {
    // Producers first (API requests and scans publish events), then consumers, so that nothing
    // holds or adds a message while the queues are saved.
    await parts.http?.close();
    await parts.timer?.stop();
    await Promise.all(parts.pollers.map((p) => p.stop()));
    if (parts.sqs !== undefined && parts.saveMessagesTo !== undefined) {
      const saved = await savePendingMessages(parts.sqs, DEFAULT_QUEUE_NAMES, parts.saveMessagesTo);
      if (saved > 0) logger.info(`saved ${saved} queued message(s) for the next start`);
    }
  } finally {
    parts.functions?.dispose();
    parts.restoreEnv?.();
    await parts.sqs?.close();
    await parts.ttl?.stop();
    await parts.dynamo?.close();
    await parts.unlock?.();
    active = false;
  }
}

/** The runtime's own lines: `[local] message key=value`, plain text for a terminal. */
function lineLogger(print: (line: string) => void): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    const rest = Object.entries(fields ?? {}).map(
      ([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
    );
    print(`[local] ${level === 'info' ? '' : `${level.toUpperCase()} `}${message}${rest.join('')}`);
  };
  return { debug: () => {}, info: line('info'), warn: line('warn'), error: line('error') };
}
