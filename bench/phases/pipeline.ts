/**
 * Measurement 2: refresh pipeline throughput. N due connections go end to end through the local
 * runtime (scheduler scan → refresh queue → refresher pollers → provider → commit) against
 * oidc-provider with strict rotation, next to oidc-provider's own refresh-grant rate measured in
 * the same run at the same concurrency (before and after the pipeline; the mean is the limit).
 */
import { randomBytes } from 'node:crypto';
import { BatchGetItemCommand } from '@aws-sdk/client-dynamodb';
import { A } from '../../shared/adapters/aws/dynamodb/codec';
import { connectionSk, integrationPk } from '../../shared/adapters/aws/dynamodb/table';
import type { ScanReport } from '../../shared/pipeline/scan';
import { type DynamoSnapshot, sqsWorkRequests, totals } from '../lib/counters';
import { progress } from '../lib/output';
import { type CpuBreakdown, startProfiler } from '../lib/profile';
import { measureProviderRate, type OidcProcess } from '../lib/provider';
import type { Service } from '../lib/service';
import { round, runPool } from '../lib/stats';

export interface PipelineOptions {
  /** A fresh integration id per run. */
  readonly integrationId: string;
  readonly connections: number;
  /** Added to every token-endpoint answer (0: oidc-provider as fast as it is). */
  readonly providerLatencyMs: number;
  /** Unmeasured grants before the provider-limit runs (JIT warm-up). */
  readonly warmup: number;
  /** REFRESH_CONCURRENCY = INTEGRATION_CONCURRENCY of the service, and the provider-limit client's. */
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** Write a V8 CPU profile of the pipeline window (the seeding excluded) to this file. */
  readonly profile?: string | undefined;
}

export interface PipelineResult {
  connections: number;
  provider_latency_ms: number;
  seconds: number;
  rate_per_s: number;
  provider_limit_per_s: number;
  ratio: number;
  concurrency: number;
  provider_limit_runs_per_s: number[];
  refreshed_verified: number;
  invalid_grant: number;
  scan: { ms: number; enqueued: number; index_entries_read: number };
  dynamo_calls_per_refresh: Record<string, number>;
  sqs_requests_per_refresh: number;
  completed: boolean;
  /** With `--profile`: where the process's CPU went during the pipeline window. */
  cpu_breakdown?: CpuBreakdown;
}

export async function runPipeline(
  svc: Service,
  oidc: OidcProcess,
  options: PipelineOptions,
): Promise<PipelineResult> {
  const n = options.connections;
  const concurrency = options.concurrency;
  const integration = options.integrationId;
  const label = options.providerLatencyMs > 0 ? `pipeline (+${options.providerLatencyMs} ms)` : 'pipeline';
  const tokenUrl = options.providerLatencyMs > 0 ? oidc.delayedTokenUrl : oidc.tokenUrl;
  await svc.api.put(`/v1/integrations/${integration}`, {
    provider: 'custom',
    client_id: oidc.clientId,
    client_secret: oidc.clientSecret,
    token_url: tokenUrl,
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
  });

  progress(`${label}: minting ${n * 3 + options.warmup} refresh tokens in oidc-provider`);
  const tokens = await oidc.mint(n);
  const limitTokens = [await oidc.mint(n), await oidc.mint(n)];
  const warmTokens = await oidc.mint(options.warmup);

  progress(`${label}: importing ${n} expired connections through the API`);
  const ids = Array.from({ length: n }, (_, i) => `c-${i}-${randomBytes(3).toString('hex')}`);
  const expiredAt = new Date(Date.now() - 60_000).toISOString();
  await runPool(n, 16, async (i) => {
    await svc.api.put(`/v1/integrations/${integration}/connections/${ids[i]}`, {
      access_token: randomBytes(32).toString('base64url'),
      refresh_token: tokens[i],
      expires_at: expiredAt,
      token_type: 'Bearer',
      scope: 'openid offline_access',
    });
  });

  progress(`${label}: oidc-provider's own refresh-grant rate at concurrency ${concurrency}`);
  await oidc.setLatency(options.providerLatencyMs);
  await measureProviderRate(oidc, tokenUrl, warmTokens, concurrency);
  const before = await measureProviderRate(oidc, tokenUrl, limitTokens[0] ?? [], concurrency);

  progress(`${label}: ${n} connections through scan → queue → refresher → commit`);
  await oidc.resetStats();
  svc.dynamo.reset();
  svc.sqs.reset();
  let commits = 0;
  let finishedAt = 0;
  let done: () => void = () => {};
  const allCommitted = new Promise<void>((resolve) => {
    done = resolve;
  });
  svc.dynamo.onSuccess = (op) => {
    if (op !== 'UpdateItem:commit') return;
    commits += 1;
    if (commits === n) {
      finishedAt = performance.now();
      done();
    }
  };
  const profiler = options.profile === undefined ? undefined : await startProfiler();
  const started = performance.now();
  const scan = svc.local.runScanNow() as Promise<ScanReport>;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const outcome = await Promise.race([allCommitted.then(() => 'done' as const), timedOut]);
  clearTimeout(timer);
  const end = outcome === 'done' ? finishedAt : performance.now();
  svc.dynamo.onSuccess = undefined;
  const report = await scan;
  const cpu = profiler === undefined ? undefined : await profiler.stop(options.profile);
  const dynamo = svc.dynamo.snapshot();
  const sqs = svc.sqs.snapshot();
  if (outcome === 'timeout') progress(`${label}: TIMED OUT with ${commits}/${n} committed`);

  const after = await measureProviderRate(oidc, tokenUrl, limitTokens[1] ?? [], concurrency);
  await oidc.setLatency(0);
  const stats = await oidc.stats();
  const verified = await countAdvanced(svc, integration, ids);

  const seconds = (end - started) / 1000;
  const rate = commits / seconds;
  const limit = (before.ratePerSecond + after.ratePerSecond) / 2;
  return {
    connections: n,
    provider_latency_ms: options.providerLatencyMs,
    seconds: round(seconds, 2),
    rate_per_s: round(rate, 1),
    provider_limit_per_s: round(limit, 1),
    ratio: round(rate / limit, 3),
    concurrency,
    provider_limit_runs_per_s: [round(before.ratePerSecond, 1), round(after.ratePerSecond, 1)],
    refreshed_verified: verified,
    invalid_grant: stats.invalidGrant,
    scan: {
      ms: round(report.durationMs, 0),
      enqueued: report.enqueued,
      index_entries_read: report.indexEntriesRead,
    },
    dynamo_calls_per_refresh: perRefresh(dynamo, commits),
    sqs_requests_per_refresh: round(sqsWorkRequests(sqs) / Math.max(1, commits), 3),
    completed: outcome === 'done',
    ...(cpu === undefined ? {} : { cpu_breakdown: cpu }),
  };
}

function perRefresh(snapshot: DynamoSnapshot, refreshes: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, s] of Object.entries(snapshot)) out[op] = round(s.calls / Math.max(1, refreshes), 3);
  const t = totals(snapshot);
  out.write_units_table = round(t.writeUnits / Math.max(1, refreshes), 3);
  out.read_units = round(t.readUnits / Math.max(1, refreshes), 3);
  return out;
}

/** Connections whose credential generation advanced past the import (read back in batches of 100). */
async function countAdvanced(svc: Service, integration: string, ids: readonly string[]): Promise<number> {
  let advanced = 0;
  for (let i = 0; i < ids.length; i += 100) {
    let keys = ids.slice(i, i + 100).map((id) => ({
      pk: { S: integrationPk(integration) },
      sk: { S: connectionSk(id) },
    }));
    while (keys.length > 0) {
      const res = await svc.local.dynamo.send(
        new BatchGetItemCommand({
          RequestItems: {
            [svc.local.tableName]: {
              Keys: keys,
              ProjectionExpression: '#gen',
              ExpressionAttributeNames: { '#gen': A.credentialGeneration },
            },
          },
        }),
      );
      for (const item of res.Responses?.[svc.local.tableName] ?? []) {
        if (Number(item[A.credentialGeneration]?.N ?? 0) >= 2) advanced += 1;
      }
      keys = (res.UnprocessedKeys?.[svc.local.tableName]?.Keys ?? []) as typeof keys;
    }
  }
  return advanced;
}
