import type { Context } from 'aws-lambda';
import { type ScanReport, scanDue } from '../../shared/pipeline/scan';
import { type SchedulerRoot, schedulerRoot } from './deps';

/**
 * Scheduler: EventBridge Scheduler target (the event itself carries nothing we need). Finds due
 * connections in the sharded due index, claims them and enqueues refresh tasks; republishes
 * outboxes left by crashes. Stops starting new work at half its remaining time.
 */
export function createSchedulerHandler(root: () => Promise<Pick<SchedulerRoot, 'scan' | 'options'>>) {
  return async (_event: unknown, context: Context): Promise<ScanReport> => {
    const { scan, options } = await root();
    try {
      return await scanDue(scan, { ...options, timeBudgetMs: context.getRemainingTimeInMillis() / 2 });
    } finally {
      scan.metrics.flush();
    }
  };
}

export const handler = createSchedulerHandler(schedulerRoot);
