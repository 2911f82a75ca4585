/**
 * Measurement 1: the token read path. `GET .../token` of a fresh (Google-sized) token through the
 * api handler (called directly with an API Gateway v2 event) and through the local HTTP server,
 * next to a bare consistent GetItem of the same item on the same DynamoDB client and endpoint.
 * Latency: sequential requests, the three paths interleaved in rounds so drift hits all alike.
 * Throughput: `concurrency` requests in flight for a fixed count, per path.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { lambdaContext } from '../../infra/local/context';
import { DynamoApiKeyStore } from '../../shared/adapters/aws/dynamodb/api-keys';
import { connectionSk, integrationPk } from '../../shared/adapters/aws/dynamodb/table';
import { apiEvent } from '../lib/lambda';
import { progress } from '../lib/output';
import type { Service } from '../lib/service';
import { quantile, round, runPool } from '../lib/stats';
import { WORKLOADS } from '../lib/workloads';

export interface TokenReadOptions {
  /** Sequential samples per path (split over `rounds`). */
  readonly samples: number;
  readonly rounds: number;
  /** Requests per path for the throughput figure. */
  readonly throughputRequests: number;
  readonly concurrency: number;
}

interface PathStats {
  p50_ms: number;
  p99_ms: number;
  rps: number;
}

export interface TokenReadResult {
  p50_ms: number;
  p99_ms: number;
  bare_get_p50_ms: number;
  bare_get_p99_ms: number;
  ratio_p50: number;
  ratio_p99: number;
  rps: number;
  bare_get_rps: number;
  rps_ratio: number;
  http: PathStats & { ratio_p50: number; ratio_p99: number; rps_ratio: number };
  samples: number;
  concurrency: number;
}

const INTEGRATION = 'bench-read';
const CONNECTION = 'reader';

export async function runTokenRead(svc: Service, options: TokenReadOptions): Promise<TokenReadResult> {
  const { rt, local } = svc;
  const google = WORKLOADS[0];
  if (google === undefined) throw new Error('no workload');
  await svc.api.put(`/v1/integrations/${INTEGRATION}`, {
    provider: 'custom',
    client_id: 'bench-reader',
    client_secret: `bench-secret-${randomBytes(16).toString('hex')}`,
    token_url: 'http://127.0.0.1:9/token', // never called: the token stays fresh
    rotates_refresh_token: false,
  });
  await svc.api.put(`/v1/integrations/${INTEGRATION}/connections/${CONNECTION}`, {
    access_token: google.accessToken(),
    refresh_token: google.refreshToken(),
    expires_in: 3600,
    token_type: 'Bearer',
    scope: google.scope,
  });
  // What an app uses: a tokens:read key (looked up once, then cached per process for 30 s).
  const { key } = await new DynamoApiKeyStore(local.dynamo, local.tableName, rt.clock).create({
    name: 'bench-reader',
    scopes: ['tokens:read'],
  });
  const path = `/v1/integrations/${INTEGRATION}/connections/${CONNECTION}/token`;
  const itemKey = { pk: { S: integrationPk(INTEGRATION) }, sk: { S: connectionSk(CONNECTION) } };

  const bare = async () => {
    const out = await local.dynamo.send(
      new GetItemCommand({ TableName: local.tableName, Key: itemKey, ConsistentRead: true }),
    );
    if (out.Item === undefined) throw new Error('bare GetItem found nothing');
  };
  const viaHandler = async () => {
    const context = lambdaContext({ functionName: 'api', timeoutMs: 29_000, region: 'us-east-1' });
    const res = await local.handlers.api(apiEvent('GET', path, { authorization: `Bearer ${key}` }), context);
    if (res.statusCode !== 200) throw new Error(`api handler answered ${res.statusCode}`);
  };
  const viaHttp = async () => {
    const res = await fetch(`${local.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`HTTP server answered ${res.status}`);
  };
  const paths = { bare, handler: viaHandler, http: viaHttp };

  progress('token read: warm-up');
  for (let i = 0; i < 300; i++) for (const run of Object.values(paths)) await run();

  progress(`token read: ${options.samples} sequential samples per path, interleaved`);
  const samples: Record<keyof typeof paths, number[]> = { bare: [], handler: [], http: [] };
  const perRound = Math.ceil(options.samples / options.rounds);
  for (let r = 0; r < options.rounds; r++) {
    for (const [name, run] of Object.entries(paths) as [keyof typeof paths, () => Promise<void>][]) {
      for (let i = 0; i < perRound; i++) {
        const started = performance.now();
        await run();
        samples[name].push(performance.now() - started);
      }
    }
  }

  progress(`token read: throughput, ${options.concurrency} in flight`);
  const rps: Record<keyof typeof paths, number> = { bare: 0, handler: 0, http: 0 };
  for (const [name, run] of Object.entries(paths) as [keyof typeof paths, () => Promise<void>][]) {
    const started = performance.now();
    await runPool(options.throughputRequests, options.concurrency, () => run());
    rps[name] = options.throughputRequests / ((performance.now() - started) / 1000);
  }

  const p = (name: keyof typeof paths, q: number) => quantile(samples[name], q);
  return {
    p50_ms: round(p('handler', 0.5), 3),
    p99_ms: round(p('handler', 0.99), 3),
    bare_get_p50_ms: round(p('bare', 0.5), 3),
    bare_get_p99_ms: round(p('bare', 0.99), 3),
    ratio_p50: round(p('handler', 0.5) / p('bare', 0.5), 3),
    ratio_p99: round(p('handler', 0.99) / p('bare', 0.99), 3),
    rps: round(rps.handler, 0),
    bare_get_rps: round(rps.bare, 0),
    rps_ratio: round(rps.handler / rps.bare, 3),
    http: {
      p50_ms: round(p('http', 0.5), 3),
      p99_ms: round(p('http', 0.99), 3),
      rps: round(rps.http, 0),
      ratio_p50: round(p('http', 0.5) / p('bare', 0.5), 3),
      ratio_p99: round(p('http', 0.99) / p('bare', 0.99), 3),
      rps_ratio: round(rps.http / rps.bare, 3),
    },
    samples: samples.handler.length,
    concurrency: options.concurrency,
  };
}
