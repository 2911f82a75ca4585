import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processRefreshRecord, type RefreshRecordDeps } from '../../shared/pipeline/refresher';
import { refresherRoot } from './deps';

/**
 * Refresher: consumes refresh tasks (SQS, ReportBatchItemFailures). Records of a batch run
 * concurrently, bounded per process and per integration; only failed records are retried.
 */
export function createRefresherHandler(root: () => Promise<RefreshRecordDeps>) {
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const deps = await root();
    const remaining = () => context.getRemainingTimeInMillis();
    // One processor per invocation: it holds the batch's failures, and invocations may overlap (the
    // local runtime polls with concurrency); a shared one let a second batch clear the first's.
    const processor = new BatchProcessor(EventType.SQS);
    try {
      return await processPartialResponse(
        event,
        (record: SQSRecord) => processRefreshRecord(deps, record.body, remaining),
        processor,
        // Failed records are reported, not raised: a batch whose one task waits for another worker's
        // lease is routine. Infrastructure failures have their own metric and alarm.
        { context, throwOnFullBatchFailure: false },
      );
    } finally {
      deps.metrics.flush();
    }
  };
}

export const handler = createRefresherHandler(refresherRoot);
