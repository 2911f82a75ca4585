import type { RefreshTask } from '../domain/messages';

/** The refresh queue: the scan hands refresh tasks (identifiers only, never secrets) to the refreshers. */
export interface TaskQueue {
  /**
   * Sends the tasks; returns the indexes of those the queue did not accept (they are due again at
   * the next scan).
   * @throws ServiceError `queue_unavailable` when the queue could not be reached at all
   */
  enqueue(tasks: readonly RefreshTask[]): Promise<{ readonly failed: readonly number[] }>;
}
