/**
 * The whole service on its local stand-ins (infra/local/runtime.ts: dynalite, fauxqs, the pollers,
 * the HTTP server and the real handlers) for a test file or a benchmark: a temporary folder of its
 * own, DynamoDB in memory, the scan timer effectively off, an admin key of our own and none of the
 * runtime's own lines. What a caller needs beyond that (WEBHOOK_URL, PROVIDER_TIMEOUT_MS, a KMS
 * key, a faster scan) it passes as options.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyDigest } from '../../infra/local/config';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../infra/local/runtime';
import { ApiClient } from './api-client';
import { rememberSecret } from './secrets';

export interface TestRuntimeOptions {
  /** Names the temporary folder (`<name>-XXXXXX` in the system's temp folder). @default 'local-runtime' */
  readonly name?: string;
  /**
   * Variables over the defaults (`API_KEY` and its digest as `ADMIN_API_KEY_SHA256`, `LOG_LEVEL=ERROR`),
   * e.g. `WEBHOOK_URL`, `PROVIDER_TIMEOUT_MS`, `KMS_KEY_ID`.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** @default 3600: after the timer's first tick (1 s after start) no scheduled scan for an hour. */
  readonly scanIntervalSeconds?: number;
}

export interface TestRuntime {
  /** The running runtime (another one after `restart()`). */
  readonly local: LocalRuntime;
  /** A client with the admin key, for the runtime's URL (another one after `restart()`: the port changes). */
  readonly api: ApiClient;
  /** The admin key (`API_KEY`), remembered as a secret. */
  readonly apiKey: string;
  /** The temporary folder, removed by `stop()`: the runtime's data in `data/`, room for a test's own files. */
  readonly dir: string;
  /** Stops the runtime and starts it again on the same data and options (as `npm start` after Ctrl-C). */
  restart(): Promise<LocalRuntime>;
  /** Stops the runtime and removes the temporary folder. Idempotent. */
  stop(): Promise<void>;
}

export async function startTestRuntime(options: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const dir = await mkdtemp(join(tmpdir(), `${options.name ?? 'local-runtime'}-`));
  const apiKey = randomBytes(32).toString('base64url'); // 43 characters
  rememberSecret(apiKey);
  const runtimeOptions: LocalRuntimeOptions = {
    port: 0,
    dataDir: join(dir, 'data'),
    persist: false,
    scanIntervalSeconds: options.scanIntervalSeconds ?? 3600,
    log: () => {},
    env: { API_KEY: apiKey, ADMIN_API_KEY_SHA256: apiKeyDigest(apiKey), LOG_LEVEL: 'ERROR', ...options.env },
  };
  const start = async () => {
    const started = await startLocalRuntime(runtimeOptions);
    rememberSecret(started.webhookSecret);
    return started;
  };
  let local: LocalRuntime;
  try {
    local = await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let api = new ApiClient(local.url, apiKey);
  return {
    get local() {
      return local;
    },
    get api() {
      return api;
    },
    apiKey,
    dir,
    async restart() {
      await local.stop();
      local = await start();
      api = new ApiClient(local.url, apiKey);
      return local;
    },
    async stop() {
      await local.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
