import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processWebhookRecord } from '../../shared/webhooks/sender';
import { type WebhookSenderRoot, webhookSenderRoot } from './deps';

/**
 * Webhook queue consumer: delivers each record's event (records run concurrently) and reports the
 * failed ones as batch item failures; their redelivery delay is already set on the message.
 */
export function createWebhookSenderHandler(root: () => Promise<Pick<WebhookSenderRoot, 'deps'>>) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const deps = await (await root()).deps();
    // One processor per invocation: it holds the batch's state, and the local runtime may overlap calls.
    const processor = new BatchProcessor(EventType.SQS);
    try {
      return await processPartialResponse(
        event,
        (record: SQSRecord) => processWebhookRecord(deps, record),
        processor,
        // A receiver outage fails whole batches routinely; reporting every item (not an invocation
        // error) keeps Lambda error alarms for real faults. The DLQ alarm tracks lost deliveries.
        { context, throwOnFullBatchFailure: false },
      );
    } finally {
      deps.metrics.flush();
    }
  };
}

export const handler = createWebhookSenderHandler(webhookSenderRoot);
