/**
 * The service under test: the local runtime (infra/local/runtime.ts: dynalite, fauxqs, pollers, the
 * HTTP server and the real handlers) configured as on AWS where it matters for cost: the KMS keyring
 * (against a counting fake at the SDK boundary), INFO logs and EMF metrics on (captured and counted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiRoot } from '../../functions/api/deps';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime';
import { DynamoCounter, type FakeKms, installFakeKms, SqsCounter } from './counters';
import { sleep } from './stats';

export interface Service {
  readonly local: LocalRuntime;
  /** The api function's dependencies (ports), as its composition root built them. */
  readonly rt: ApiRoot;
  readonly dynamo: DynamoCounter;
  readonly sqs: SqsCounter;
  readonly kms: FakeKms;
  readonly api: ApiCaller;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Refresher settings (shared/config/env.ts). */
  readonly refreshConcurrency: number;
  readonly integrationConcurrency: number;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const dataDir = await mkdtemp(join(tmpdir(), 'oauth-refresher-bench-'));
  const kms = installFakeKms();
  let local: LocalRuntime | undefined;
  try {
    local = await startLocalRuntime({
      port: 0,
      dataDir,
      persist: false,
      // The bench triggers scans itself (runScanNow); the timer's first tick (1 s after start)
      // finds nothing because nothing is seeded yet.
      scanIntervalSeconds: 3600,
      log: () => {},
      env: {
        KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
        LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_DISABLED: 'false',
        REFRESH_CONCURRENCY: String(options.refreshConcurrency),
        INTEGRATION_CONCURRENCY: String(options.integrationConcurrency),
      },
    });
    // Let the timer's first tick (1 s after start) pass, so that every later scan is ours.
    await sleep(1_100);
    await local.runScanNow();
    const rt = local.functions.api;
    const dynamo = new DynamoCounter();
    const sqs = new SqsCounter();
    // Every function's clients, as each Lambda has its own.
    for (const root of Object.values(local.functions)) {
      dynamo.attach(root.clients.dynamo);
      sqs.attach(root.clients.sqs);
    }
    sqs.attach(local.sqs); // the pollers' client (ReceiveMessage, DeleteMessageBatch)
    const started = local;
    return {
      local: started,
      rt,
      dynamo,
      sqs,
      kms,
      api: new ApiCaller(started.url, started.apiKey),
      stop: async () => {
        await started.stop();
        kms.restore();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await local?.stop();
    kms.restore();
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** A minimal JSON client for the service's HTTP API (seeding goes through the API, as a user's would). */
export class ApiCaller {
  constructor(
    readonly baseUrl: string,
    readonly key: string,
  ) {}

  async send(
    method: string,
    path: string,
    body?: unknown,
    key = this.key,
  ): Promise<{ status: number; text: string }> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text() };
  }

  /** PUT that must answer 200 or 201. */
  async put(path: string, body: unknown): Promise<void> {
    const res = await this.send('PUT', path, body);
    if (res.status !== 200 && res.status !== 201) {
      throw new Error(`PUT ${path} answered ${res.status}: ${res.text.slice(0, 300)}`);
    }
  }
}
