import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processRefreshRecord, RefreshLimiter } from '../../shared/pipeline/refresher';
import { getRuntime } from '../../shared/runtime';

const processor = new BatchProcessor(EventType.SQS);
let limiter: RefreshLimiter | undefined;

/**
 * Refresher: consumes refresh tasks (SQS, ReportBatchItemFailures). Records of a batch run
 * concurrently, bounded per process and per integration; only failed records are retried.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const rt = await getRuntime();
  limiter ??= new RefreshLimiter({
    concurrency: rt.config.refreshConcurrency,
    perIntegration: rt.config.integrationConcurrency,
  });
  const deps = { refresh: rt.refresh, limiter, logger: rt.logger, metrics: rt.metrics };
  const remaining = () => context.getRemainingTimeInMillis();
  try {
    return await processPartialResponse(
      event,
      (record: SQSRecord) => processRefreshRecord(deps, record.body, remaining),
      processor,
      { context },
    );
  } finally {
    rt.metrics.flush();
  }
};
