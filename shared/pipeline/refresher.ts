import pLimit, { type LimitFunction } from 'p-limit';
import { connectionKeyString } from '../domain/ids';
import { parseMessage, refreshTaskSchema } from '../domain/messages';
import { NotFoundError, ServiceError } from '../errors';
import type { Logger } from '../ports/logger';
import type { MetricsSink } from '../ports/metrics';
import { refreshConnection } from '../refresh/refresh-connection';
import type { RefreshDeps } from '../refresh/types';

export interface RefresherLimits {
  /** Refreshes running at once in this process. */
  readonly concurrency: number;
  /** Refreshes of one integration running at once in this process (protects providers). */
  readonly perIntegration: number;
}

/**
 * Bounds refresh work: a process-wide limit and one per integration, so one provider's outage or
 * rate limit (slow calls, timeouts) occupies at most `perIntegration` slots and never starves
 * the other providers, and a burst of due connections of one provider never becomes a storm.
 */
export class RefreshLimiter {
  private readonly global: LimitFunction;
  private readonly perIntegration = new Map<string, LimitFunction>();

  constructor(private readonly limits: RefresherLimits) {
    this.global = pLimit(limits.concurrency);
  }

  run<T>(integrationId: string, work: () => Promise<T>): Promise<T> {
    let limit = this.perIntegration.get(integrationId);
    if (limit === undefined) {
      limit = pLimit(this.limits.perIntegration);
      this.perIntegration.set(integrationId, limit);
    }
    const own = limit;
    // Take the integration slot first, so waiting tasks of a slow provider hold no global slot.
    return own(() => this.global(work)).finally(() => {
      if (own.activeCount === 0 && own.pendingCount === 0) this.perIntegration.delete(integrationId);
    });
  }
}

/** A refresh task to be retried after the queue's visibility timeout (not an infrastructure error). */
export class RetryLater extends ServiceError {
  constructor(key: { integrationId: string; connectionId: string }) {
    super('lease_held', `${connectionKeyString(key)} is leased by another worker; the task is retried later`);
    this.name = 'RetryLater';
  }
}

export interface RefreshRecordDeps {
  readonly refresh: RefreshDeps;
  readonly limiter: RefreshLimiter;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

/**
 * Processes one refresh task. Provider-level failures are recorded on the connection (its next due
 * time carries the backoff) and the message completes; only infrastructure failures (DynamoDB,
 * KMS, a lost lease, too little time) throw, so the message is retried and, repeatedly failing,
 * lands in the DLQ; so does a lease held by another worker ({@link RetryLater}: retried once that
 * lease has run out, never dead-lettered by it since a lease is far shorter than the visibility
 * timeout). A malformed message throws too (poison → DLQ).
 */
export async function processRefreshRecord(
  deps: RefreshRecordDeps,
  body: string,
  remainingTimeMs?: () => number,
): Promise<void> {
  const task = parseMessage(refreshTaskSchema, body);
  const key = { integrationId: task.integration_id, connectionId: task.connection_id };
  await deps.limiter.run(key.integrationId, async () => {
    const { clock } = deps.refresh;
    deps.metrics.milliseconds('RefreshLagMs', Math.max(0, clock.now() - task.due_at));
    const started = clock.now();
    try {
      const result = await refreshConnection(deps.refresh, key, {
        trigger: 'scheduled',
        ...(remainingTimeMs === undefined ? {} : { remainingTimeMs }),
      });
      switch (result.outcome) {
        case 'refreshed':
          deps.metrics.count('RefreshSucceeded', 1, { provider: result.connection.provider });
          deps.metrics.milliseconds('RefreshDurationMs', clock.now() - started);
          break;
        case 'failed':
          deps.metrics.count('RefreshFailed', 1, {
            provider: result.connection.provider,
            code: result.failure.code,
          });
          if (result.connection.status === 'needs_reauth') deps.metrics.count('ReauthRequired');
          break;
        case 'lease_held':
          // Another worker holds the lease: usually it is refreshing, but it may have died. The
          // scan's claim keeps this connection from being enqueued again for a while, so this task
          // is not acknowledged: it comes back after the visibility timeout, when that lease has
          // run out, and finds the connection refreshed (nothing to do) or still due.
          deps.metrics.count('RefreshSkipped', 1, { reason: result.outcome });
          throw new RetryLater(key);
        default:
          deps.metrics.count('RefreshSkipped', 1, { reason: result.outcome });
      }
      await deps.refresh.failpoints?.('before_ack');
    } catch (error) {
      if (error instanceof RetryLater) throw error;
      if (error instanceof NotFoundError) {
        // Deleted since it was enqueued: nothing to do.
        deps.logger.info('refresh task for a missing connection or integration skipped', {
          connection: connectionKeyString(key),
        });
        return;
      }
      deps.metrics.count('RefreshInfrastructureError', 1, {
        code: (error as { code?: string }).code ?? 'unknown',
      });
      throw error;
    }
  });
}
