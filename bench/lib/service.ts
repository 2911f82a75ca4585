/**
 * The service under test: the local runtime (infra/local/runtime.ts: dynalite, fauxqs, pollers, the
 * HTTP server and the real handlers) configured as on AWS where it matters for cost: the KMS keyring
 * (against a counting fake at the SDK boundary), INFO logs and EMF metrics on (captured and counted).
 */
import type { ApiRoot } from '../../functions/api/deps';
import type { LocalRuntime } from '../../infra/local/runtime';
import { startTestRuntime, type TestRuntime } from '../../test/support/local';
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
  const kms = installFakeKms();
  let runtime: TestRuntime | undefined;
  try {
    // The bench triggers scans itself (runScanNow); the timer's first tick (1 s after start) finds
    // nothing because nothing is seeded yet, and the next is an hour later.
    runtime = await startTestRuntime({
      name: 'oauth-refresher-bench',
      env: {
        KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
        LOG_LEVEL: 'INFO',
        POWERTOOLS_METRICS_DISABLED: 'false',
        REFRESH_CONCURRENCY: String(options.refreshConcurrency),
        INTEGRATION_CONCURRENCY: String(options.integrationConcurrency),
      },
    });
    const { local } = runtime;
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
    const started = runtime;
    return {
      local,
      rt,
      dynamo,
      sqs,
      kms,
      api: new ApiCaller(local.url, local.apiKey),
      stop: async () => {
        await started.stop();
        kms.restore();
      },
    };
  } catch (error) {
    await runtime?.stop();
    kms.restore();
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
