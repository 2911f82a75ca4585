import type { Context } from 'aws-lambda';
import { SCAN_CLAIM_MS, type ScanReport, scanDue } from '../../shared/pipeline/scan';
import { getRuntime, historyOf } from '../../shared/runtime';
import { DueIndex } from '../../shared/store/due-index';

/**
 * Scheduler: EventBridge Scheduler target (the event itself carries nothing we need). Finds due
 * connections in the sharded due index, claims them and enqueues refresh tasks; republishes
 * outboxes left by crashes. Stops starting new work at half its remaining time.
 */
export const handler = async (_event: unknown, context: Context): Promise<ScanReport> => {
  const rt = await getRuntime();
  try {
    return await scanDue(
      {
        index: new DueIndex(rt.dynamo, rt.config.tableName),
        store: rt.store,
        sqs: rt.sqs,
        refreshQueueUrl: rt.config.refreshQueueUrl,
        publisher: rt.publisher,
        clock: rt.clock,
        logger: rt.logger,
        metrics: rt.metrics,
        ...historyOf(rt),
      },
      {
        shards: rt.config.dueShards,
        maxPerRun: rt.config.scanMaxPerRun,
        claimMs: SCAN_CLAIM_MS,
        timeBudgetMs: context.getRemainingTimeInMillis() / 2,
      },
    );
  } finally {
    rt.metrics.flush();
  }
};
