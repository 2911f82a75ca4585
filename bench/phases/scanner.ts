/**
 * Measurement 4: does the scheduler's cost follow the due work or the table size? `scanDue`
 * (shared/pipeline/scan.ts) on a big table (e.g. 100,000 connections, 1 % due) and a small one
 * (10,000, 10 % due): the same number of due connections. Seeded with BatchWriteItem (the scan
 * reads only keys and due times), on a dynalite and a fauxqs of its own. Each table is scanned in
 * several rounds (small, big, small, big, …); between rounds the clock moves past the claim, so the
 * same connections are due again. Reported: index entries read and the median wall time.
 */
import { type AttributeValue, BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { ensureTable, startDynalite } from '../../infra/local/dynalite';
import { startLocalSqs } from '../../infra/local/sqs';
import { DynamoConnectionStore } from '../../shared/adapters/aws/dynamodb/connections';
import { DynamoDueIndex } from '../../shared/adapters/aws/dynamodb/due-index';
import { connectionSk, dueShardOf, integrationPk } from '../../shared/adapters/aws/dynamodb/table';
import { SqsTaskQueue } from '../../shared/adapters/aws/sqs';
import { SCAN_CLAIM_MS, scanDue } from '../../shared/pipeline/scan';
import { DEFAULT_DUE_SHARDS } from '../../shared/policy/schedule';
import type { Clock } from '../../shared/ports/clock';
import { silentLogger } from '../../shared/ports/logger';
import { nullMetrics } from '../../shared/ports/metrics';
import { progress } from '../lib/output';
import { median, round, runPool } from '../lib/stats';

export interface ScannerOptions {
  readonly bigTable: number;
  readonly smallTable: number;
  /** Due connections in each table (1 % of the big one, 10 % of the small one by default). */
  readonly due: number;
  readonly rounds: number;
}

export interface ScannerResult {
  big_table_items: number;
  small_table_items: number;
  due: number;
  big_table_items_read: number;
  big_table_ms: number;
  small_table_items_read: number;
  small_table_ms: number;
  /** big / small wall time (the target). */
  ratio: number;
  items_read_ratio: number;
  big_table_ms_runs: number[];
  small_table_ms_runs: number[];
  seed_seconds: number;
}

/** The scheduler's claim duration (what the clock must pass between rounds). */
const CLAIM_MS = SCAN_CLAIM_MS;

/** A clock the bench moves by hand (sleep is real, so a budget check never waits on it). */
class BenchClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }
}

export async function runScanner(options: ScannerOptions): Promise<ScannerResult> {
  const dynamo = await startDynalite();
  const sqs = await startLocalSqs();
  try {
    const clock = new BenchClock();
    const queueUrl =
      (await sqs.client.send(new CreateQueueCommand({ QueueName: 'scan-bench' }))).QueueUrl ?? '';
    const tables = { big: 'scan-big', small: 'scan-small' } as const;
    await ensureTable(dynamo.client, tables.big);
    await ensureTable(dynamo.client, tables.small);
    const seedStarted = performance.now();
    progress(`scanner: seeding ${options.bigTable + options.smallTable} connections (BatchWriteItem)`);
    await seed(dynamo.client, tables.small, options.smallTable, options.due, clock.now());
    await seed(dynamo.client, tables.big, options.bigTable, options.due, clock.now());
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const deps = (table: string) => ({
      index: new DynamoDueIndex(dynamo.client, table),
      store: new DynamoConnectionStore(dynamo.client, { tableName: table, dueShards: DEFAULT_DUE_SHARDS }),
      tasks: new SqsTaskQueue(sqs.client, queueUrl),
      publisher: { publish: async () => {} },
      clock,
      logger: silentLogger,
      metrics: nullMetrics,
    });
    const scanOnce = async (table: string) => {
      const started = performance.now();
      const report = await scanDue(deps(table), {
        shards: DEFAULT_DUE_SHARDS,
        maxPerRun: 1_000_000,
        claimMs: CLAIM_MS,
        timeBudgetMs: 600_000,
      });
      const ms = performance.now() - started;
      if (report.enqueued !== options.due) {
        throw new Error(`scanner: ${table} enqueued ${report.enqueued}, expected ${options.due}`);
      }
      return { ms, read: report.indexEntriesRead };
    };

    progress(`scanner: ${options.rounds} rounds of scanDue on each table (${options.due} due in each)`);
    const runs = { big: [] as number[], small: [] as number[] };
    const read = { big: 0, small: 0 };
    // One unmeasured round first (JIT, connection pool), then the measured rounds.
    for (let r = -1; r < options.rounds; r++) {
      for (const name of ['small', 'big'] as const) {
        const { ms, read: entries } = await scanOnce(tables[name]);
        if (r >= 0) {
          runs[name].push(ms);
          read[name] = entries;
        }
      }
      clock.advance(CLAIM_MS + 1_000);
      await sqs.client.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    }
    const bigMs = median(runs.big);
    const smallMs = median(runs.small);
    return {
      big_table_items: options.bigTable,
      small_table_items: options.smallTable,
      due: options.due,
      big_table_items_read: read.big,
      big_table_ms: round(bigMs, 1),
      small_table_items_read: read.small,
      small_table_ms: round(smallMs, 1),
      ratio: round(bigMs / smallMs, 3),
      items_read_ratio: round(read.big / Math.max(1, read.small), 3),
      big_table_ms_runs: runs.big.map((x) => round(x, 1)),
      small_table_ms_runs: runs.small.map((x) => round(x, 1)),
      seed_seconds: round(seedSeconds, 1),
    };
  } finally {
    await sqs.close();
    await dynamo.close();
  }
}

/**
 * `total` connections, `due` of them spread evenly and due a little in the past; the rest due
 * 1 to 2 days from now (beyond any clock advance of the rounds).
 */
async function seed(
  client: Parameters<typeof ensureTable>[0],
  table: string,
  total: number,
  due: number,
  now: number,
): Promise<void> {
  const every = Math.floor(total / due);
  const batches: Record<string, AttributeValue>[][] = [];
  let batch: Record<string, AttributeValue>[] = [];
  let dueCount = 0;
  for (let i = 0; i < total; i++) {
    const key = { integrationId: `int-${i % 50}`, connectionId: `conn-${i}` };
    const isDue = i % every === 0 && dueCount < due;
    if (isDue) dueCount += 1;
    const dueAt = isDue ? now - 1_000 - (i % 1000) : now + 86_400_000 + ((i * 7919) % 86_400_000);
    batch.push({
      pk: { S: integrationPk(key.integrationId) },
      sk: { S: connectionSk(key.connectionId) },
      due_shard: { N: String(dueShardOf(key, DEFAULT_DUE_SHARDS)) },
      due_at: { N: String(dueAt) },
      next_refresh_at: { N: String(dueAt) },
    });
    if (batch.length === 25) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  await runPool(batches.length, 8, async (i) => {
    let request: Record<string, { PutRequest: { Item: Record<string, AttributeValue> } }[]> = {
      [table]: (batches[i] ?? []).map((Item) => ({ PutRequest: { Item } })),
    };
    while (Object.keys(request).length > 0) {
      const res = await client.send(new BatchWriteItemCommand({ RequestItems: request }));
      request = (res.UnprocessedItems ?? {}) as typeof request;
    }
  });
}
