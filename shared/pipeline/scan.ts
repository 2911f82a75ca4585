import pLimit from 'p-limit';
import type { RefreshTask } from '../domain/messages';
import type { Clock } from '../ports/clock';
import type { DueIndex, IndexCursor, IndexedConnection } from '../ports/due-index';
import type { EventPublisher } from '../ports/events';
import type { HistoryRecorder } from '../ports/history';
import type { Logger } from '../ports/logger';
import type { MetricsSink } from '../ports/metrics';
import type { ConnectionStore } from '../ports/store';
import type { TaskQueue } from '../ports/task-queue';
import { publishOutbox } from '../refresh/outbox';

/**
 * How long a scan's claim on an enqueued connection holds: the visibility budget of its task in
 * the refresh queue. The infra keeps the queue's visibility timeout (6 × the refresher's timeout)
 * inside it, so a task that is retried once is still covered by its claim.
 */
export const SCAN_CLAIM_MS = 10 * 60_000;

export interface ScanDeps {
  readonly index: DueIndex;
  readonly store: ConnectionStore;
  readonly tasks: TaskQueue;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  /** Republished events are recorded in history too (api.md v1.1). */
  readonly history?: HistoryRecorder;
}

export interface ScanOptions {
  readonly shards: number;
  /** At most this many connections are enqueued per run (the rest wait for the next tick). */
  readonly maxPerRun: number;
  /** Index entries read per Query page. @default 200 */
  readonly pageSize?: number;
  /**
   * How long a claim holds: the visibility budget of a queued task. It should exceed the time a
   * task may wait in the queue plus its processing, or the next scan enqueues it again (harmless:
   * the lease and the due check make the duplicate a no-op, but it costs a write).
   */
  readonly claimMs: number;
  /** Stop starting new pages after this long (keep well inside the function timeout). */
  readonly timeBudgetMs: number;
  /** Outbox events older than this are republished (younger ones are still being published inline). @default 30 s */
  readonly outboxGraceMs?: number;
}

export interface ScanReport {
  /** Due connections found in the index (including those already claimed by an earlier scan). */
  readonly due: number;
  /** Due connections skipped because an earlier scan's claim on them still holds. */
  readonly alreadyClaimed: number;
  readonly enqueued: number;
  /** Index entries read by the due queries (what the scan is billed for). */
  readonly indexEntriesRead: number;
  readonly capacityUnits: number;
  readonly outboxRepublished: number;
  /** True when the per-run limit or time budget stopped the scan with due work left. */
  readonly truncated: boolean;
  readonly durationMs: number;
}

/**
 * One scheduler tick: queries every shard of the due index in parallel (paginated, bounded per
 * run), skips connections an earlier scan claimed, sends refresh tasks (identifiers only) with
 * SendMessageBatch, 10 per call, and claims what it sent in one write per shard (see
 * {@link DueIndex.recordClaims}). Then republishes outboxes that a crash left unpublished. Cost
 * follows the number of due connections, not the table size.
 */
export async function scanDue(deps: ScanDeps, options: ScanOptions): Promise<ScanReport> {
  const started = deps.clock.now();
  const now = started;
  const pageSize = options.pageSize ?? 200;
  let budget = options.maxPerRun;
  let due = 0;
  let alreadyClaimed = 0;
  let enqueued = 0;
  let read = 0;
  let capacity = 0;
  let truncated = false;

  const scanShard = async (shard: number) => {
    const active = await deps.index.activeClaims(shard, now, options.claimMs);
    capacity += active.capacityUnits;
    const enqueuedHere: IndexedConnection[] = [];
    let start: IndexCursor | undefined;
    try {
      do {
        if (budget <= 0 || deps.clock.now() - started > options.timeBudgetMs) {
          truncated = true;
          return;
        }
        // Claimed entries stay in the index (their due time is unchanged), so a page may hold
        // fewer new ones than it read; the budget counts what is enqueued.
        const page = await deps.index.queryDue(shard, now, pageSize, start);
        read += page.scanned;
        capacity += page.capacityUnits;
        due += page.items.length;
        const fresh = page.items.filter((item) => !active.has(item));
        alreadyClaimed += page.items.length - fresh.length;
        const take = fresh.slice(0, Math.max(0, budget));
        budget -= take.length;
        if (take.length < fresh.length) truncated = true;
        const sent = await enqueue(deps, take);
        enqueued += sent.length; // not `+= await`: that reads the total before awaiting
        enqueuedHere.push(...sent);
        start = take.length < fresh.length ? undefined : page.next;
      } while (start !== undefined);
    } finally {
      await recordClaims(deps, shard, now, now + options.claimMs, enqueuedHere);
    }
  };

  await Promise.all(Array.from({ length: options.shards }, (_, shard) => scanShard(shard)));
  const outboxRepublished = await republishOutboxes(deps, options, now - (options.outboxGraceMs ?? 30_000));
  const report: ScanReport = {
    due,
    alreadyClaimed,
    enqueued,
    indexEntriesRead: read,
    capacityUnits: capacity,
    outboxRepublished,
    truncated,
    durationMs: deps.clock.now() - started,
  };
  deps.metrics.count('ScanDue', due);
  deps.metrics.count('ScanEnqueued', enqueued);
  if (alreadyClaimed > 0) deps.metrics.count('ScanAlreadyClaimed', alreadyClaimed);
  deps.metrics.count('ScanIndexEntriesRead', read);
  deps.metrics.milliseconds('ScanDurationMs', report.durationMs);
  if (truncated) deps.metrics.count('ScanTruncated');
  deps.logger.info('scan finished', { ...report });
  return report;
}

/** Sends refresh tasks for `items`; returns those SQS accepted (the others are due again next tick). */
async function enqueue(deps: ScanDeps, items: readonly IndexedConnection[]): Promise<IndexedConnection[]> {
  if (items.length === 0) return [];
  const tasks = items.map(
    (item): RefreshTask => ({
      v: 1,
      integration_id: item.integrationId,
      connection_id: item.connectionId,
      due_at: item.at,
    }),
  );
  try {
    const { failed } = await deps.tasks.enqueue(tasks);
    if (failed.length > 0) {
      deps.metrics.count('ScanEnqueueFailed', failed.length);
      deps.logger.warn('refresh tasks not accepted by SQS; the next scan enqueues them again', {
        failed: failed.length,
      });
    }
    const rejected = new Set(failed);
    return items.filter((_, i) => !rejected.has(i));
  } catch (error) {
    deps.metrics.count('ScanEnqueueFailed', tasks.length);
    deps.logger.error('enqueueing refresh tasks failed; the next scan enqueues them again', {
      tasks: tasks.length,
      error: error instanceof Error ? error.message : 'unknown',
    });
    return [];
  }
}

/**
 * Claims what a shard's scan enqueued. If this write fails the tasks are queued anyway and the next
 * scan enqueues them once more: a duplicate task is harmless (the lease and the due check make it a
 * no-op), so the scan goes on rather than fail.
 */
async function recordClaims(
  deps: ScanDeps,
  shard: number,
  runAt: number,
  until: number,
  items: readonly IndexedConnection[],
): Promise<void> {
  try {
    await deps.index.recordClaims(shard, runAt, until, items);
  } catch (error) {
    deps.metrics.count('ScanClaimFailed', items.length);
    deps.logger.warn('recording scan claims failed; the next scan may enqueue these tasks again', {
      shard,
      tasks: items.length,
      error: error instanceof Error ? error.message : 'unknown',
    });
  }
}

async function republishOutboxes(deps: ScanDeps, options: ScanOptions, until: number): Promise<number> {
  const limit = pLimit(16);
  let published = 0;
  await Promise.all(
    Array.from({ length: options.shards }, async (_, shard) => {
      const page = await deps.index.queryOutbox(shard, until, 100);
      await Promise.all(
        page.items.map((item) =>
          limit(async () => {
            const connection = await deps.store.get(item);
            if (connection === null) return;
            const count = await publishOutbox(deps, connection);
            published += count;
          }),
        ),
      );
    }),
  );
  if (published > 0) {
    deps.metrics.count('EventsRepublished', published);
    deps.logger.info('republished events left in outboxes', { events: published });
  }
  return published;
}
