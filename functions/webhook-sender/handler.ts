import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { getRuntime, type Runtime } from '../../shared/runtime';
import { WebhookKeyCache } from '../../shared/webhooks/secret';
import {
  createWebhookSenderDeps,
  processWebhookRecord,
  type WebhookSenderDeps,
} from '../../shared/webhooks/sender';

// Keyed by runtime so a reset runtime (local mode restarts, tests) gets a fresh sender.
const senders = new WeakMap<Runtime, { deps: WebhookSenderDeps; keys: WebhookKeyCache }>();

async function sender(): Promise<WebhookSenderDeps> {
  const rt = await getRuntime();
  let entry = senders.get(rt);
  if (entry === undefined) {
    // WEBHOOK_SECRET locally; on AWS the Secrets Manager secret of WEBHOOK_SECRET_ARN, re-read
    // every few minutes (rotation). A failed first read is not cached: the next batch tries again.
    const keys = new WebhookKeyCache(rt.config, { clock: rt.clock, logger: rt.logger });
    entry = { keys, deps: createWebhookSenderDeps(rt, await keys.get()) };
    senders.set(rt, entry);
  }
  const key = await entry.keys.get();
  if (key !== entry.deps.key) entry.deps = { ...entry.deps, key };
  return entry.deps;
}

/**
 * Webhook queue consumer: delivers each record's event (records run concurrently) and reports the
 * failed ones as batch item failures; their redelivery delay is already set on the message.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const deps = await sender();
  // One processor per invocation: it holds the batch's state, and the local runtime may overlap calls.
  const processor = new BatchProcessor(EventType.SQS);
  try {
    return await processPartialResponse(
      event,
      (record: SQSRecord) => processWebhookRecord(deps, record),
      processor,
      {
        context,
        // A receiver outage fails whole batches routinely; reporting every item (not an invocation
        // error) keeps Lambda error alarms for real faults. The DLQ alarm tracks lost deliveries.
        throwOnFullBatchFailure: false,
      },
    );
  } finally {
    deps.metrics.flush();
  }
};
