/**
 * Measurement 3: what one refresh and one token read cost, counted at the SDK boundary, for the
 * Google-sized and the Microsoft-sized workload. Per workload:
 * 1. an integration pointing at a token endpoint that answers with that workload's tokens, and
 *    `connections + timed + 1` expired connections imported through the API;
 * 2. cold: the keyring's data-key cache and the integration cache are dropped (a new Lambda
 *    container), one refresh through the refresher handler; its KMS calls are the cold count;
 * 3. handler time: `timed` connections through the refresher handler in batches of 10, one batch at
 *    a time (one container), timed per invocation → billed ms per record → GB-s at the memory size;
 * 4. the pipeline: the rest through scan → queue → pollers → refresher → commit, with DynamoDB
 *    capacity (ConsumedCapacity), SQS requests, KMS calls (warm) and log bytes counted;
 * 5. token reads of the refreshed connections through the api handler: read units, KMS, ms.
 */
import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { lambdaContext } from '../../infra/local/context';
import { localSqsClient } from '../../infra/local/sqs';
import { connectionSk, integrationPk } from '../../shared/adapters/aws/dynamodb/table';
import { RING_CAPACITY } from '../../shared/history/ring';
import type { EnvelopeKeyring } from '../../shared/keyring/envelope-keyring';
import { refreshConnection } from '../../shared/refresh/refresh-connection';
import { type DynamoSnapshot, sqsWorkRequests, totals } from '../lib/counters';
import { itemSize, writeUnits } from '../lib/item-size';
import { apiEvent, invokeRefresher, type MemorySizes, type RefreshTaskRef } from '../lib/lambda';
import { capturedStdoutBytes, progress, resetCaptured } from '../lib/output';
import type { Service } from '../lib/service';
import { mean, round, runPool, sig, sleep } from '../lib/stats';
import { startTokenStub, type Workload } from '../lib/workloads';
import { PRICES } from '../prices';

export interface CostOptions {
  /** Connections through the pipeline (the counted run). */
  readonly connections: number;
  /**
   * Connections through direct handler invocations (the timed runs), a multiple of 20: half with
   * the token endpoint answering at once (compute only), half after `providerLatencyMs`.
   */
  readonly timed: number;
  /** A provider's answer time for the billed-duration estimate (Lambda bills waiting too). */
  readonly providerLatencyMs: number;
  /** Token reads through the api handler. */
  readonly reads: number;
  readonly memory: MemorySizes;
  readonly timeoutMs: number;
}

export interface UsdBreakdown {
  dynamodb: number;
  sqs: number;
  kms: number;
  lambda_compute: number;
  lambda_requests: number;
  api_gateway: number;
  total: number;
}

export interface WorkloadCost {
  workload: string;
  label: string;
  item_bytes: number;
  item_bytes_leased: number;
  refreshes_counted: number;
  /** Base-table write units per refresh, as ConsumedCapacity reported them. */
  wcu_per_refresh: number;
  /** Index write units per refresh, derived from the code (dynalite reports none). */
  gsi_wcu_per_refresh: number;
  /** What AWS bills: table + index write units (+ failed conditional writes). */
  wcu_per_refresh_billed: number;
  rcu_per_refresh: number;
  kms_calls_per_refresh_warm: number;
  kms_calls_per_refresh_cold: number;
  sqs_requests_per_refresh: number;
  /** Handler wall time per record with an instant provider (compute only). */
  lambda_ms_per_record_compute: number;
  /** Billed ms per record with the provider answering after `provider_latency_ms` (the basis of the cost). */
  lambda_billed_ms_per_record: number;
  provider_latency_ms: number;
  lambda_gb_s_per_refresh: number;
  lambda_invocations_per_refresh: number;
  log_bytes_per_refresh: number;
  dynamo_ops_per_refresh: Record<string, { calls: number; units: number }>;
  sqs_requests_by_command_per_refresh: Record<string, number>;
  conditional_check_failures: number;
  usd_per_million_refreshes: number;
  usd_per_million_refreshes_breakdown: UsdBreakdown;
  usd_per_million_refreshes_provisioned_70pct: number;
  usd_per_million_refreshes_with_logs: number;
  /** A connection with 1-hour tokens, refreshed every 45 min (15-min margin): ≈974 refreshes a month. */
  usd_per_connection_month: number;
  floor: {
    wcu_per_refresh: number;
    sqs_requests_per_refresh: number;
    lambda_ms_per_record: number;
    usd_per_million_refreshes: number;
  };
  /**
   * The same connections refreshed again and again (every one `rounds` times), so the history ring
   * of each item fills and spills (api.md v1.1 history): what a fleet costs in steady state.
   */
  steady_state: {
    refreshes_counted: number;
    /** The largest item while leased, with a full ring. */
    item_bytes_leased_max: number;
    wcu_per_refresh: number;
    /** History items written per refresh (the ring's spills). */
    history_wcu_per_refresh: number;
    wcu_per_refresh_billed: number;
    usd_per_million_refreshes: number;
  };
  token_read: {
    rcu_per_read: number;
    kms_calls_per_read_warm: number;
    kms_calls_per_read_cold: number;
    handler_ms_mean: number;
    billed_ms_mean: number;
    log_bytes_per_read: number;
    usd_per_million_token_reads: number;
    usd_breakdown: UsdBreakdown;
  };
}

/** 1-hour tokens refreshed 15 minutes early: every 45 minutes, over an average month (30.44 days). */
export const REFRESHES_PER_CONNECTION_MONTH = Math.round((30.44 * 24 * 60) / 45);

/** "A few ms of Lambda time per record" (design.md cost model), taken as 3 ms. */
const FLOOR_LAMBDA_MS = 3;

export async function runCost(svc: Service, workload: Workload, options: CostOptions): Promise<WorkloadCost> {
  const { local } = svc;
  const stub = await startTokenStub(workload);
  const integration = `bench-cost-${workload.name}`;
  try {
    await svc.api.put(`/v1/integrations/${integration}`, {
      provider: 'custom',
      client_id: `bench-${workload.name}`,
      client_secret: `bench-secret-${randomBytes(16).toString('hex')}`,
      token_url: stub.url,
      client_auth: 'client_secret_post',
      rotates_refresh_token: workload.rotates,
      ...(workload.rotates ? { reuse_grace_seconds: 0 } : {}),
    });
    const total = options.connections + options.timed + 1;
    progress(`cost/${workload.name}: importing ${total} expired connections`);
    const ids = Array.from(
      { length: total },
      (_, i) => `${workload.name}-${i}-${randomBytes(3).toString('hex')}`,
    );
    const expiredAt = new Date(Date.now() - 60_000).toISOString();
    await runPool(total, 16, async (i) => {
      await svc.api.put(`/v1/integrations/${integration}/connections/${ids[i]}`, {
        access_token: workload.accessToken(),
        refresh_token: workload.refreshToken(),
        expires_at: expiredAt,
        token_type: 'Bearer',
        scope: workload.scope,
      });
    });
    const key = (id: string | undefined): RefreshTaskRef => ({
      integrationId: integration,
      connectionId: id ?? '',
    });
    const [coldId, ...restIds] = ids;
    const timedIds = restIds.slice(0, options.timed);
    const pipelineIds = restIds.slice(options.timed);

    // 2. Cold container: no cached data keys, no cached integration.
    // The refresher's own root: each function has its keyring and integration cache, as on AWS.
    const { refresh } = local.functions.refresher;
    (refresh.keyring as Partial<EnvelopeKeyring>).clear?.();
    refresh.integrations.invalidate(integration);
    svc.kms.reset();
    const cold = await invokeRefresher(local.handlers.refresher, [key(coldId)]);
    if (cold.failed > 0) throw new Error(`cost/${workload.name}: the cold refresh failed`);
    const kmsCold = svc.kms.total();

    // 3. Handler time per record: batches of 10, one at a time (one container), first with an
    // instant provider (compute only), then with a provider that answers after providerLatencyMs.
    progress(
      `cost/${workload.name}: ${options.timed} refreshes through the refresher handler, 10 per invocation`,
    );
    svc.kms.reset();
    const half = Math.floor(timedIds.length / 2);
    const timedBatches = async (slice: readonly string[]) => {
      const durations: number[] = [];
      for (let i = 0; i < slice.length; i += 10) {
        const { ms, failed } = await invokeRefresher(
          local.handlers.refresher,
          slice.slice(i, i + 10).map(key),
        );
        if (failed > 0) throw new Error(`cost/${workload.name}: ${failed} record(s) failed in a timed batch`);
        durations.push(ms);
      }
      return durations;
    };
    const compute = await timedBatches(timedIds.slice(0, half));
    stub.setLatency(options.providerLatencyMs);
    const waiting = await timedBatches(timedIds.slice(half));
    stub.setLatency(0);
    const kmsWarmTimed = svc.kms.total();
    const timedRecords = timedIds.length;
    const msPerRecordCompute = compute.reduce((s, d) => s + d, 0) / Math.max(1, half);
    // Lambda bills each invocation's duration rounded up to the next millisecond.
    const billedMsPerRecord =
      waiting.reduce((s, d) => s + Math.ceil(d), 0) / Math.max(1, timedIds.length - half);

    // 4. The pipeline, counted.
    progress(`cost/${workload.name}: ${pipelineIds.length} refreshes through the pipeline, counted`);
    const counted = await countedPipeline(svc, pipelineIds.length, options.timeoutMs);

    // Item sizes: as stored after a refresh, and while leased (lease_until, lease_owner added).
    const item = await local.dynamo.send(
      new GetItemCommand({
        TableName: local.tableName,
        Key: {
          pk: { S: integrationPk(integration) },
          sk: { S: connectionSk(pipelineIds[0] ?? coldId ?? '') },
        },
        ConsistentRead: true,
      }),
    );
    const itemBytes = item.Item === undefined ? 0 : itemSize(item.Item);
    const leaseExtra =
      'lease_until'.length + 8 + 'lease_owner'.length + local.functions.refresher.refresh.owner.length;
    const itemBytesLeased = itemBytes + leaseExtra;

    // 5. Token reads through the api handler (fresh tokens now).
    progress(`cost/${workload.name}: ${options.reads} token reads through the api handler`);
    const reads = await countedReads(svc, integration, pipelineIds, options.reads);

    // 6. Steady state: rings full, spilling.
    progress(
      `cost/${workload.name}: steady state, ${STEADY_CONNECTIONS} connections × ${STEADY_ROUNDS} refreshes`,
    );
    const steady = await steadyState(svc, integration, pipelineIds.slice(0, STEADY_CONNECTIONS));

    const n = Math.max(1, counted.refreshes);
    const t = totals(counted.dynamo);
    const ops: Record<string, { calls: number; units: number }> = {};
    for (const [op, s] of Object.entries(counted.dynamo)) {
      ops[op] = { calls: round(s.calls / n, 4), units: round(s.units / n, 4) };
    }
    const calls = (op: string) => counted.dynamo[op]?.calls ?? 0;
    // Index writes (dynalite reports the base table only): the commit sets the next due_at — a
    // changed index key is a delete plus a put in the index (KEYS_ONLY, < 1 KB). Scan claims and
    // the lease touch no indexed attribute.
    const gsiWrites = 2 * calls('UpdateItem:commit') + 2 * calls('UpdateItem:commit-failure');
    const failedWrites = t.conditionFailed; // billed by AWS (at least 1 unit each); dynalite reports none
    const wcuTable = t.writeUnits / n;
    const gsiWcu = gsiWrites / n;
    const wcuBilled = (t.writeUnits + gsiWrites + failedWrites * writeUnits(itemBytes)) / n;
    const rcu = t.readUnits / n;
    const sqsRequests = sqsWorkRequests(counted.sqs) / n;
    const sqsByCommand: Record<string, number> = {};
    for (const [command, s] of Object.entries(counted.sqs)) {
      sqsByCommand[command] = round(
        (command === 'ReceiveMessage' ? s.requests - s.empty : s.requests) / n,
        4,
      );
    }
    const invocations =
      (counted.sqs.ReceiveMessage?.requests ?? 0) - (counted.sqs.ReceiveMessage?.empty ?? 0);
    const invocationsPerRefresh = invocations / n;
    const gbS = (billedMsPerRecord / 1000) * (options.memory.refresherMb / 1024);
    const kmsWarm = (kmsWarmTimed + counted.kms) / Math.max(1, timedRecords + counted.refreshes);
    const logBytes = counted.logBytes / n;

    const usd: UsdBreakdown = {
      dynamodb: wcuBilled * PRICES.dynamodb.writeRequestUnit + rcu * PRICES.dynamodb.readRequestUnit,
      sqs: sqsRequests * PRICES.sqs.request,
      kms: kmsWarm * PRICES.kms.request,
      lambda_compute: gbS * PRICES.lambda.gbSecond,
      lambda_requests: invocationsPerRefresh * PRICES.lambda.request,
      api_gateway: 0,
      total: 0,
    };
    usd.total = usd.dynamodb + usd.sqs + usd.kms + usd.lambda_compute + usd.lambda_requests;
    // Provisioned capacity at a 70 % autoscaling target instead of on-demand (same units).
    const provisionedDynamo =
      (wcuBilled * PRICES.dynamodb.wcuHour) / 3600 / 0.7 + (rcu * PRICES.dynamodb.rcuHour) / 3600 / 0.7;
    const floorWcu = 2 * writeUnits(itemBytes);
    const floorUsd =
      floorWcu * PRICES.dynamodb.writeRequestUnit +
      0.3 * PRICES.sqs.request +
      (FLOOR_LAMBDA_MS / 1000) * (options.memory.refresherMb / 1024) * PRICES.lambda.gbSecond +
      0.1 * PRICES.lambda.request;

    const million = (x: number) => sig(x * 1e6, 4);
    return {
      workload: workload.name,
      label: workload.label,
      item_bytes: itemBytes,
      item_bytes_leased: itemBytesLeased,
      refreshes_counted: counted.refreshes,
      wcu_per_refresh: round(wcuTable, 3),
      gsi_wcu_per_refresh: round(gsiWcu, 3),
      wcu_per_refresh_billed: round(wcuBilled, 3),
      rcu_per_refresh: round(rcu, 4),
      kms_calls_per_refresh_warm: round(kmsWarm, 4),
      kms_calls_per_refresh_cold: kmsCold,
      sqs_requests_per_refresh: round(sqsRequests, 3),
      lambda_ms_per_record_compute: round(msPerRecordCompute, 2),
      lambda_billed_ms_per_record: round(billedMsPerRecord, 2),
      provider_latency_ms: options.providerLatencyMs,
      lambda_gb_s_per_refresh: sig(gbS, 3),
      lambda_invocations_per_refresh: round(invocationsPerRefresh, 3),
      log_bytes_per_refresh: Math.round(logBytes),
      dynamo_ops_per_refresh: ops,
      sqs_requests_by_command_per_refresh: sqsByCommand,
      conditional_check_failures: failedWrites,
      usd_per_million_refreshes: million(usd.total),
      usd_per_million_refreshes_breakdown: mapValues(usd, million),
      usd_per_million_refreshes_provisioned_70pct: million(usd.total - usd.dynamodb + provisionedDynamo),
      usd_per_million_refreshes_with_logs: million(usd.total + logBytes * PRICES.cloudwatchLogs.ingestedByte),
      usd_per_connection_month: sig(usd.total * REFRESHES_PER_CONNECTION_MONTH, 3),
      floor: {
        wcu_per_refresh: floorWcu,
        sqs_requests_per_refresh: 0.3,
        lambda_ms_per_record: FLOOR_LAMBDA_MS,
        usd_per_million_refreshes: million(floorUsd),
      },
      steady_state: (() => {
        const sn = Math.max(1, steady.refreshes);
        const st = totals(steady.dynamo);
        const history = (steady.dynamo['UpdateItem:history']?.units ?? 0) / sn;
        const commits = steady.dynamo['UpdateItem:commit']?.calls ?? 0;
        const billed = (st.writeUnits + 2 * commits) / sn;
        const dynamoUsd = billed * PRICES.dynamodb.writeRequestUnit + rcu * PRICES.dynamodb.readRequestUnit;
        return {
          refreshes_counted: steady.refreshes,
          item_bytes_leased_max: steady.maxItemBytes + leaseExtra,
          wcu_per_refresh: round(st.writeUnits / sn, 3),
          history_wcu_per_refresh: round(history, 3),
          wcu_per_refresh_billed: round(billed, 3),
          usd_per_million_refreshes: million(usd.total - usd.dynamodb + dynamoUsd),
        };
      })(),
      token_read: tokenReadCost(reads, options.memory.apiMb),
    };
  } finally {
    await stub.close();
  }
}

/** Steady state: this many connections, each refreshed this many times (rings fill and spill). */
const STEADY_CONNECTIONS = 100;
const STEADY_ROUNDS = 12;

async function steadyState(
  svc: Service,
  integration: string,
  ids: readonly string[],
): Promise<{ refreshes: number; dynamo: DynamoSnapshot; maxItemBytes: number }> {
  const { local } = svc;
  // Not counted: the first rounds fill the rings.
  const round = async () =>
    runPool(ids.length, 4, async (i) => {
      const result = await refreshConnection(
        local.functions.refresher.refresh,
        { integrationId: integration, connectionId: ids[i] ?? '' },
        { trigger: 'forced' },
      );
      if (result.outcome !== 'refreshed') throw new Error(`steady state: ${result.outcome}`);
    });
  for (let r = 0; r < RING_CAPACITY; r++) await round();
  svc.dynamo.reset();
  for (let r = 0; r < STEADY_ROUNDS; r++) await round();
  const dynamo = svc.dynamo.snapshot();
  let maxItemBytes = 0;
  for (const id of ids) {
    const item = await local.dynamo.send(
      new GetItemCommand({
        TableName: local.tableName,
        Key: { pk: { S: integrationPk(integration) }, sk: { S: connectionSk(id) } },
        ConsistentRead: true,
      }),
    );
    if (item.Item !== undefined) maxItemBytes = Math.max(maxItemBytes, itemSize(item.Item));
  }
  return { refreshes: ids.length * STEADY_ROUNDS, dynamo, maxItemBytes };
}

interface Counted {
  refreshes: number;
  dynamo: DynamoSnapshot;
  sqs: ReturnType<Service['sqs']['snapshot']>;
  kms: number;
  logBytes: number;
}

/** One scan of `expected` due connections through the pollers, everything counted until the queue is empty. */
async function countedPipeline(svc: Service, expected: number, timeoutMs: number): Promise<Counted> {
  const endpoint = svc.local.endpoints.sqs;
  const observer = localSqsClient(endpoint); // not counted
  try {
    svc.dynamo.reset();
    svc.sqs.reset();
    svc.kms.reset();
    resetCaptured();
    let commits = 0;
    svc.dynamo.onSuccess = (op) => {
      if (op === 'UpdateItem:commit') commits += 1;
    };
    await svc.local.runScanNow();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { Attributes: a } = await observer.send(
        new GetQueueAttributesCommand({
          QueueUrl: svc.local.queues.refresh,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const queued =
        Number(a?.ApproximateNumberOfMessages ?? 0) + Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0);
      if (commits >= expected && queued === 0) break;
      if (Date.now() > deadline) {
        progress(`cost: pipeline timed out (${commits}/${expected} committed, ${queued} queued)`);
        break;
      }
      await sleep(100);
    }
    svc.dynamo.onSuccess = undefined;
    return {
      refreshes: commits,
      dynamo: svc.dynamo.snapshot(),
      sqs: svc.sqs.snapshot(),
      kms: svc.kms.total(),
      logBytes: capturedStdoutBytes(),
    };
  } finally {
    svc.dynamo.onSuccess = undefined;
    observer.destroy();
  }
}

interface Reads {
  count: number;
  ms: number[];
  readUnits: number;
  kmsWarm: number;
  kmsCold: number;
  logBytes: number;
}

/** Token reads through the api handler with a tokens:read key (cold first, then warm). */
async function countedReads(
  svc: Service,
  integration: string,
  ids: readonly string[],
  count: number,
): Promise<Reads> {
  const { rt } = svc;
  const { DynamoApiKeyStore } = await import('../../shared/adapters/aws/dynamodb/api-keys');
  const keys = new DynamoApiKeyStore(svc.local.dynamo, svc.local.tableName, rt.clock);
  const { key } = await keys.create({ name: `bench-${integration}`, scopes: ['tokens:read'] });
  const read = async (id: string) => {
    const path = `/v1/integrations/${integration}/connections/${id}/token`;
    const context = lambdaContext({ functionName: 'api', timeoutMs: 29_000, region: 'us-east-1' });
    const started = performance.now();
    const res = await svc.local.handlers.api(
      apiEvent('GET', path, { authorization: `Bearer ${key}` }),
      context,
    );
    const ms = performance.now() - started;
    if (res.statusCode !== 200) throw new Error(`token read answered ${res.statusCode}: ${res.body ?? ''}`);
    return ms;
  };
  // Cold: a new api container (no cached data key in the api's keyring).
  (rt.keyring as Partial<EnvelopeKeyring>).clear?.();
  svc.kms.reset();
  await read(ids[0] ?? '');
  const kmsCold = svc.kms.total();
  // Warm up the key lookup cache and JIT, then count.
  for (let i = 0; i < 20; i++) await read(ids[i % ids.length] ?? '');
  svc.dynamo.reset();
  svc.kms.reset();
  resetCaptured();
  const ms: number[] = [];
  for (let i = 0; i < count; i++) ms.push(await read(ids[i % ids.length] ?? ''));
  return {
    count,
    ms,
    readUnits: totals(svc.dynamo.snapshot()).readUnits,
    kmsWarm: svc.kms.total(),
    kmsCold,
    logBytes: capturedStdoutBytes(),
  };
}

function tokenReadCost(reads: Reads, memoryMb: number): WorkloadCost['token_read'] {
  const n = Math.max(1, reads.count);
  const billedMs = mean(reads.ms.map((x) => Math.ceil(x)));
  const rcu = reads.readUnits / n;
  const kms = reads.kmsWarm / n;
  const usd: UsdBreakdown = {
    dynamodb: rcu * PRICES.dynamodb.readRequestUnit,
    sqs: 0,
    kms: kms * PRICES.kms.request,
    lambda_compute: (billedMs / 1000) * (memoryMb / 1024) * PRICES.lambda.gbSecond,
    lambda_requests: PRICES.lambda.request,
    api_gateway: PRICES.apiGateway.httpRequest,
    total: 0,
  };
  usd.total = usd.dynamodb + usd.kms + usd.lambda_compute + usd.lambda_requests + usd.api_gateway;
  const million = (x: number) => sig(x * 1e6, 4);
  return {
    rcu_per_read: round(rcu, 4),
    kms_calls_per_read_warm: round(kms, 4),
    kms_calls_per_read_cold: reads.kmsCold,
    handler_ms_mean: round(mean(reads.ms), 3),
    billed_ms_mean: round(billedMs, 3),
    log_bytes_per_read: Math.round(reads.logBytes / n),
    usd_per_million_token_reads: million(usd.total),
    usd_breakdown: mapValues(usd, million),
  };
}

function mapValues<T extends object>(o: T, f: (v: number) => number): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v as number)])) as T;
}
