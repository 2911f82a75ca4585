// Drives the REAL refresher Lambda handler (functions/refresher/handler.ts) with two overlapping SQS
// batches in one process, as the local runtime's pollers do: each batch's partial-batch response must
// name exactly its own failed records (reliability.md promise 27).
import { randomBytes } from 'node:crypto';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

function record(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '0',
      SenderId: 'torture',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:refresh',
    awsRegion: 'local',
  };
}

const context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'refresher',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:refresher',
  memoryLimitInMB: '512',
  awsRequestId: 'torture',
  logGroupName: 'torture',
  logStreamName: 'torture',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

/**
 * Points the refresher's runtime at the torture table (its environment is read once, on first use)
 * and returns the step: two overlapping batches, one of them with a poison record. Returns the
 * problems seen (empty when each batch reported exactly its own failure).
 */
export async function createBatchDriver(options: {
  readonly dynamodbEndpoint: string;
  readonly table: string;
}): Promise<(poisonIn: 'first' | 'second', good: number, integrationId: string) => Promise<string[]>> {
  Object.assign(process.env, {
    TABLE_NAME: options.table,
    REFRESH_QUEUE_URL: 'http://127.0.0.1:9/000000000000/refresh',
    WEBHOOK_QUEUE_URL: 'http://127.0.0.1:9/000000000000/webhooks',
    DYNAMODB_ENDPOINT: options.dynamodbEndpoint,
    SQS_ENDPOINT: 'http://127.0.0.1:9',
    MASTER_KEY: randomBytes(32).toString('base64'),
    ALLOW_PRIVATE_URLS: 'true',
    AWS_REGION: 'local',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { handler } = (await import('../../functions/refresher/handler')) as { handler: Handler };
  let batch = 0;
  return async (poisonIn, good, integrationId) => {
    batch += 1;
    const task = (n: number) =>
      JSON.stringify({ v: 1, integration_id: integrationId, connection_id: `ghost-${n}`, due_at: 0 });
    const build = (name: string, poisoned: boolean): SQSRecord[] => {
      const records = Array.from({ length: good }, (_, i) => record(`${batch}-${name}-${i}`, task(i)));
      if (poisoned)
        records.splice(Math.min(1, records.length), 0, record(`${batch}-${name}-poison`, 'not json'));
      return records;
    };
    const first = build('first', poisonIn === 'first');
    const second = build('second', poisonIn === 'second');
    const [a, b] = await Promise.all([
      handler({ Records: first }, context).catch((e: unknown) => e),
      handler({ Records: second }, context).catch((e: unknown) => e),
    ]);
    const problems: string[] = [];
    for (const [name, answer, poisoned] of [
      ['first', a, poisonIn === 'first'],
      ['second', b, poisonIn === 'second'],
    ] as const) {
      if (answer instanceof Error || answer === undefined || answer === null) {
        problems.push(`the ${name} batch threw ${answer instanceof Error ? answer.name : 'nothing'}`);
        continue;
      }
      const failed = (answer as SQSBatchResponse).batchItemFailures.map((f) => f.itemIdentifier).sort();
      const expected = poisoned ? [`${batch}-${name}-poison`] : [];
      if (failed.join(',') !== expected.join(',')) {
        problems.push(
          `overlapping batches: the ${name} batch reported failures [${failed.join(', ')}], expected [${expected.join(', ')}]`,
        );
      }
    }
    return problems;
  };
}
