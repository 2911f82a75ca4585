import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { OutboxEvent } from '../../domain/events';
import type { RefreshTask } from '../../domain/messages';
import { ServiceError } from '../../errors';
import type { EventPublisher } from '../../ports/events';
import type { Redelivery } from '../../ports/redelivery';
import type { TaskQueue } from '../../ports/task-queue';

/**
 * Sends message bodies with SendMessageBatch, 10 per call (the SQS maximum), calls in parallel.
 * @returns the indexes of the bodies SQS did not accept (throttling, size) — callers decide.
 * @throws ServiceError `store_unavailable`-like `queue_unavailable` when a whole call fails.
 */
export async function sendBatches(
  sqs: SQSClient,
  queueUrl: string,
  bodies: readonly string[],
): Promise<{ failed: number[]; requests: number }> {
  const chunks: Array<{ start: number; bodies: readonly string[] }> = [];
  for (let i = 0; i < bodies.length; i += 10) chunks.push({ start: i, bodies: bodies.slice(i, i + 10) });
  const failed: number[] = [];
  await Promise.all(
    chunks.map(async ({ start, bodies: chunk }) => {
      try {
        const out = await sqs.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((body, i) => ({ Id: String(start + i), MessageBody: body })),
          }),
        );
        for (const entry of out.Failed ?? []) failed.push(Number(entry.Id));
      } catch (error) {
        throw new ServiceError('queue_unavailable', `SQS SendMessageBatch failed (${errorName(error)})`, {
          cause: error,
        });
      }
    }),
  );
  return { failed: failed.sort((a, b) => a - b), requests: chunks.length };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}

/** Publishes state-transition events to the webhook queue. All or nothing (the outbox keeps them). */
export class SqsEventPublisher implements EventPublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const { failed } = await sendBatches(
      this.sqs,
      this.queueUrl,
      events.map((e) => JSON.stringify(e)),
    );
    if (failed.length > 0) {
      throw new ServiceError(
        'queue_unavailable',
        `${failed.length} of ${events.length} events were not accepted by SQS`,
      );
    }
  }
}

/** The refresh queue, as the scan sends to it. */
export class SqsTaskQueue implements TaskQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  enqueue(tasks: readonly RefreshTask[]): Promise<{ failed: number[] }> {
    return sendBatches(
      this.sqs,
      this.queueUrl,
      tasks.map((t) => JSON.stringify(t)),
    );
  }
}

/** {@link Redelivery} on an SQS queue. */
export function sqsRedelivery(sqs: Pick<SQSClient, 'send'>, queueUrl: string): Redelivery {
  return {
    async after(receiptHandle, seconds) {
      try {
        await sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: queueUrl,
            ReceiptHandle: receiptHandle,
            VisibilityTimeout: seconds,
          }),
        );
      } catch (error) {
        const name = error instanceof Error ? error.name : 'UnknownError';
        throw new ServiceError('queue_unavailable', `SQS ChangeMessageVisibility failed (${name})`, {
          cause: error,
        });
      }
    },
  };
}
