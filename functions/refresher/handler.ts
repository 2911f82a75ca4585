import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processRefreshRecord, RefreshLimiter } from '../../shared/pipeline/refresher';
import { getRuntime, type Runtime } from '../../shared/runtime';

// The limiter bounds refreshes per process: it belongs to the runtime (one per Lambda container,
// a new one whenever the local runtime or a test rebuilds it), never to a module.
const limiters = new WeakMap<Runtime, RefreshLimiter>();

/**
 * Refresher: consumes refresh tasks (SQS, ReportBatchItemFailures). Records of a batch run
 * concurrently, bounded per process and per integration; only failed records are retried.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const rt = await getRuntime();
  let limiter = limiters.get(rt);
  if (limiter === undefined) {
    limiter = new RefreshLimiter({
      concurrency: rt.config.refreshConcurrency,
      perIntegration: rt.config.integrationConcurrency,
    });
    limiters.set(rt, limiter);
  }
  const deps = { refresh: rt.refresh, limiter, logger: rt.logger, metrics: rt.metrics };
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
    rt.metrics.flush();
  }
};
