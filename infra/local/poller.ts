import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { Logger } from '../../shared/ports/logger';
import { silentLogger } from '../../shared/ports/logger';
import { lambdaContext, withTimeout } from './context';
import { LOCAL_REGION } from './sqs';

/** The signature of an SQS-triggered function with partial batch responses. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

export interface PollerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly handler: SqsHandler;
  /** Function name in the context and in log lines. */
  readonly name: string;
  /** Records per invocation (Lambda: 1–10,000; more than 10 needs a batching window). @default 10 */
  readonly batchSize?: number;
  /** How long to keep gathering records before invoking with a partial batch. @default 0 */
  readonly maxBatchingWindowMs?: number;
  /** Overrides the queue's visibility timeout on receive. @default the queue's */
  readonly visibilityTimeoutSeconds?: number;
  /** The function timeout: context countdown, and past it the batch counts as failed. @default 30000 */
  readonly functionTimeoutMs?: number;
  /** Poll loops in parallel (Lambda scales mappings to 5+; locally 1–2 is plenty). @default 1 */
  readonly concurrency?: number;
  /** Long-poll wait; short, so `stop()` returns quickly. @default 1 */
  readonly waitTimeSeconds?: number;
  readonly logger?: Logger;
}

export interface Poller {
  /** Stops polling and resolves once every in-flight batch has finished and been acknowledged. */
  stop(): Promise<void>;
}

/**
 * Emulates a Lambda SQS event-source mapping with `ReportBatchItemFailures`: long-polls the queue,
 * invokes the handler with an AWS-shaped {@link SQSEvent}, then deletes every record not listed in
 * `batchItemFailures`. A handler that throws, times out, or names an identifier outside the batch
 * fails the whole batch (as Lambda does): nothing is deleted and every record comes back after the
 * visibility timeout. Redrive to the DLQ after maxReceiveCount is the queue's own RedrivePolicy.
 */
export function startPoller(options: PollerOptions): Poller {
  const logger = options.logger ?? silentLogger;
  let stopping = false;
  const loops = Array.from({ length: Math.max(1, options.concurrency ?? 1) }, () => pollLoop());

  async function pollLoop(): Promise<void> {
    while (!stopping) {
      let messages: Message[];
      try {
        messages = await receiveBatch();
      } catch (error) {
        if (stopping) return;
        logger.warn(`${options.name}: ReceiveMessage failed, retrying in 1 s`, { error: describe(error) });
        await sleep(1_000);
        continue;
      }
      // A received batch is always processed, even when stopping: dropping it would hide the
      // messages for a whole visibility timeout (and from the webhook drain at shutdown).
      if (messages.length > 0) await invoke(messages);
    }
  }

  async function receiveBatch(): Promise<Message[]> {
    const batchSize = options.batchSize ?? 10;
    const windowMs = options.maxBatchingWindowMs ?? 0;
    const deadline = Date.now() + windowMs;
    const batch: Message[] = [];
    do {
      const out = await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
          WaitTimeSeconds: batch.length === 0 ? (options.waitTimeSeconds ?? 1) : 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
          ...(options.visibilityTimeoutSeconds === undefined
            ? {}
            : { VisibilityTimeout: options.visibilityTimeoutSeconds }),
        }),
      );
      batch.push(...(out.Messages ?? []));
      if (batch.length === 0) return batch;
      if ((out.Messages ?? []).length === 0) await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
    } while (batch.length < batchSize && Date.now() < deadline && !stopping);
    return batch;
  }

  async function invoke(messages: Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, options.queueArn)) };
    const timeoutMs = options.functionTimeoutMs ?? 30_000;
    const context = lambdaContext({ functionName: options.name, timeoutMs, region: LOCAL_REGION });
    let failed: ReadonlySet<string> | 'all';
    try {
      const response = await withTimeout(
        Promise.resolve(options.handler(event, context)),
        timeoutMs,
        options.name,
      );
      failed = failedIds(response, event.Records);
      if (failed === 'all')
        logger.warn(`${options.name}: invalid batchItemFailures, the whole batch is retried`);
    } catch (error) {
      failed = 'all';
      logger.error(`${options.name}: invocation failed, ${event.Records.length} record(s) will be retried`, {
        error: describe(error),
      });
    }
    if (failed === 'all') return;
    const done = event.Records.filter((r) => !failed.has(r.messageId));
    await deleteRecords(done);
  }

  async function deleteRecords(records: readonly SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      try {
        const out = await options.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: chunk.map((r, j) => ({ Id: String(j), ReceiptHandle: r.receiptHandle })),
          }),
        );
        if ((out.Failed ?? []).length > 0) {
          logger.warn(
            `${options.name}: ${out.Failed?.length} delete(s) failed; those records will be redelivered`,
          );
        }
      } catch (error) {
        // Same outcome as on AWS: undeleted records are redelivered; handlers are idempotent.
        logger.warn(`${options.name}: DeleteMessageBatch failed`, { error: describe(error) });
      }
    }
  }

  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/** Lambda's rule: an empty or missing list means all succeeded; an unknown identifier fails the batch. */
function failedIds(
  response: SQSBatchResponse | undefined,
  records: readonly SQSRecord[],
): ReadonlySet<string> | 'all' {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
}

/** The record shape Lambda delivers (camelCase, attributes as strings). */
export function toRecord(message: Message, queueArn: string): SQSRecord {
  const system = message.Attributes ?? {};
  const optional = (
    key: 'MessageGroupId' | 'MessageDeduplicationId' | 'SequenceNumber' | 'AWSTraceHeader',
  ) => (system[key] === undefined ? {} : { [key]: system[key] });
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
      SentTimestamp: system.SentTimestamp ?? String(Date.now()),
      SenderId: system.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...optional('MessageGroupId'),
      ...optional('MessageDeduplicationId'),
      ...optional('SequenceNumber'),
      ...optional('AWSTraceHeader'),
    },
    messageAttributes: toMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes === undefined
      ? {}
      : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? LOCAL_REGION,
  };
}

function toMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    out[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined
        ? {}
        : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return out;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
