import {
  type AttributeValue,
  BatchWriteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFauxqs } from 'fauxqs';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConnectionStore } from '../../shared/adapters/aws/dynamodb/connections';
import { DynamoDueIndex } from '../../shared/adapters/aws/dynamodb/due-index';
import { connectionSk, dueShardOf, integrationPk } from '../../shared/adapters/aws/dynamodb/table';
import { SqsTaskQueue } from '../../shared/adapters/aws/sqs';
import { refreshTaskSchema } from '../../shared/domain/messages';
import { scanDue } from '../../shared/pipeline/scan';
import { silentLogger } from '../../shared/ports/logger';
import { type MetricsSink, nullMetrics } from '../../shared/ports/metrics';
import { ManualClock } from '../support/clock';
import { RecordingPublisher } from '../support/core';
import type { TestDynamo } from '../support/dynamo';
import { useTestTable } from '../support/test-table';

const SHARDS = 16;
const TOTAL = 20_000;
const DUE = 200;

/** A connection item as the scan sees it: keys and due time only. */
function connectionItem(connectionId: string, dueAt: number): Record<string, AttributeValue> {
  const key = { integrationId: 'acme', connectionId };
  return {
    pk: { S: integrationPk(key.integrationId) },
    sk: { S: connectionSk(key.connectionId) },
    due_shard: { N: String(dueShardOf(key, SHARDS)) },
    due_at: { N: String(dueAt) },
    next_refresh_at: { N: String(dueAt) },
  };
}

/** The scheduler's options in these tests (no limit is reached unless a test lowers one). */
const OPTIONS = { shards: SHARDS, maxPerRun: 10_000, claimMs: 600_000, timeBudgetMs: 60_000 };

/** Seeds connection items straight into the table (the scan reads only keys and due times). */
async function seed(dynamo: TestDynamo, table: string, now: number): Promise<void> {
  const items: Record<string, AttributeValue>[] = [];
  for (let i = 0; i < TOTAL; i++) {
    // Every 100th connection is due (in the past); the rest are due within the next day.
    const dueAt = i % (TOTAL / DUE) === 0 ? now - 1_000 - i : now + 60_000 + i * 1_000;
    items.push(connectionItem(`user-${i}`, dueAt));
  }
  const limit = pLimit(8);
  const batches: Record<string, AttributeValue>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await Promise.all(
    batches.map((batch) =>
      limit(async () => {
        let request = { [table]: batch.map((Item) => ({ PutRequest: { Item } })) };
        while (Object.keys(request).length > 0) {
          const out = await dynamo.client.send(new BatchWriteItemCommand({ RequestItems: request }));
          request = (out.UnprocessedItems ?? {}) as typeof request;
        }
      }),
    ),
  );
}

describe('scheduler scan', () => {
  const db = useTestTable();
  let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  let sqs: SQSClient;
  let queueUrl: string;
  const clock = new ManualClock();

  beforeAll(async () => {
    fauxqs = await startFauxqs({ port: 0, logger: false });
    sqs = new SQSClient({
      endpoint: fauxqs.address,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    queueUrl = fauxqs.createQueue('refresh').queueUrl;
    await seed(db.dynamo, db.table, clock.now());
  }, 120_000);
  afterAll(async () => {
    sqs?.destroy();
    await fauxqs?.stop();
  });

  const deps = () => ({
    index: new DynamoDueIndex(db.dynamo.client, db.table),
    store: new DynamoConnectionStore(db.dynamo.client, { tableName: db.table, dueShards: SHARDS }),
    tasks: new SqsTaskQueue(sqs, queueUrl),
    publisher: new RecordingPublisher(),
    clock,
    logger: silentLogger,
    metrics: nullMetrics,
  });

  async function drain(): Promise<string[]> {
    const bodies: string[] = [];
    for (;;) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      if ((out.Messages ?? []).length === 0) return bodies;
      bodies.push(...(out.Messages ?? []).map((m) => m.Body ?? ''));
    }
  }

  it(`reads about ${DUE} index entries, not ${TOTAL}, and enqueues each due connection once (ids only)`, async () => {
    const report = await scanDue(deps(), OPTIONS);

    expect(report).toMatchObject({ due: DUE, alreadyClaimed: 0, enqueued: DUE, truncated: false });
    expect(report.indexEntriesRead).toBeLessThanOrEqual(DUE + SHARDS);
    const tasks = (await drain()).map((body) => refreshTaskSchema.parse(JSON.parse(body)));
    expect(new Set(tasks.map((t) => t.connection_id)).size).toBe(DUE);
    expect(Object.keys(tasks[0] ?? {}).sort()).toEqual(['connection_id', 'due_at', 'integration_id', 'v']);
  });

  it('claimed connections are not enqueued again by the next tick, and claiming wrote no connection', async () => {
    const before = await db.dynamo.client.send(
      new GetItemCommand({
        TableName: db.table,
        Key: { pk: { S: integrationPk('acme') }, sk: { S: connectionSk('user-0') } },
      }),
    );
    clock.advance(1_000);
    const report = await scanDue(deps(), OPTIONS);
    expect(report).toMatchObject({ due: DUE, alreadyClaimed: DUE, enqueued: 0 });
    expect(await drain()).toHaveLength(0);
    // The claims live in one item per shard, not on the connections: their due time is unchanged.
    const after = await db.dynamo.client.send(
      new GetItemCommand({
        TableName: db.table,
        Key: { pk: { S: integrationPk('acme') }, sk: { S: connectionSk('user-0') } },
      }),
    );
    expect(after.Item).toEqual(before.Item);
    const claimItems = await db.dynamo.client.send(
      new ScanCommand({
        TableName: db.table,
        FilterExpression: 'begins_with(pk, :p)',
        ExpressionAttributeValues: { ':p': { S: 'SCAN#' } },
      }),
    );
    expect(claimItems.Count).toBeLessThanOrEqual(SHARDS);
  });

  it('a connection whose due time changed is not held back by its old claim', async () => {
    const key = { integrationId: 'acme', connectionId: 'user-0' };
    const newDue = clock.now() - 500; // e.g. a failed refresh committed a short backoff
    await db.dynamo.client.send(
      new UpdateItemCommand({
        TableName: db.table,
        Key: { pk: { S: integrationPk(key.integrationId) }, sk: { S: connectionSk(key.connectionId) } },
        UpdateExpression: 'SET due_at = :d, next_refresh_at = :d',
        ExpressionAttributeValues: { ':d': { N: String(newDue) } },
      }),
    );
    clock.advance(1_000);
    const report = await scanDue(deps(), OPTIONS);
    expect(report).toMatchObject({ due: DUE, alreadyClaimed: DUE - 1, enqueued: 1 });
    const tasks = (await drain()).map((body) => refreshTaskSchema.parse(JSON.parse(body)));
    expect(tasks).toEqual([{ v: 1, integration_id: 'acme', connection_id: 'user-0', due_at: newDue }]);
  });

  it('tasks SQS does not accept are not claimed: the next tick enqueues them', async () => {
    await db.dynamo.client.send(
      new PutItemCommand({ TableName: db.table, Item: connectionItem('late-1', clock.now() - 10) }),
    );
    const failing = { ...deps(), tasks: new SqsTaskQueue(sqs, `${queueUrl}-missing`) };
    clock.advance(1_000);
    const first = await scanDue(failing, OPTIONS);
    expect(first).toMatchObject({ enqueued: 0, alreadyClaimed: DUE });
    clock.advance(1_000);
    const second = await scanDue(deps(), OPTIONS);
    expect(second).toMatchObject({ enqueued: 1, alreadyClaimed: DUE });
    const tasks = (await drain()).map((body) => refreshTaskSchema.parse(JSON.parse(body)));
    expect(tasks.map((t) => t.connection_id)).toEqual(['late-1']);
  });

  it('when recording claims fails, the tasks are still queued and the next tick sends them again', async () => {
    await db.dynamo.client.send(
      new PutItemCommand({ TableName: db.table, Item: connectionItem('late-2', clock.now() - 10) }),
    );
    // A client whose claim writes fail (DynamoDB throttling), injected at the SDK boundary.
    const throttled = new DynamoDBClient({
      endpoint: db.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    throttled.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') {
          throw new ProvisionedThroughputExceededException({ message: 'injected throttling', $metadata: {} });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failClaims' },
    );
    const counts = new Map<string, number>();
    const metrics: MetricsSink = {
      count: (name, value = 1) => counts.set(name, (counts.get(name) ?? 0) + value),
      milliseconds: () => {},
      flush: () => {},
    };
    clock.advance(1_000);
    const first = await scanDue(
      { ...deps(), index: new DynamoDueIndex(throttled, db.table), metrics },
      OPTIONS,
    );
    expect(first).toMatchObject({ enqueued: 1 });
    expect(counts.get('ScanClaimFailed')).toBe(1);
    clock.advance(1_000);
    const second = await scanDue(deps(), OPTIONS);
    expect(second).toMatchObject({ enqueued: 1 }); // a duplicate task: the refresher's lease makes it a no-op
    const tasks = (await drain()).map((body) => refreshTaskSchema.parse(JSON.parse(body)));
    expect(tasks.map((t) => t.connection_id)).toEqual(['late-2', 'late-2']);
    throttled.destroy();
  });

  it('a claim that runs out makes the connection due again (a lost task only delays work)', async () => {
    clock.advance(600_000);
    // Every claim has run out: everything enqueued before is due again (a lost task only delays work).
    const report = await scanDue(deps(), { ...OPTIONS, maxPerRun: 50 });
    expect(report.enqueued).toBe(50);
    expect(report.truncated).toBe(true);
    expect(await drain()).toHaveLength(50);
  });
});
