import type { SQSClient } from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import type { Clock } from '../ports/clock';
import type { EventPublisher } from '../ports/events';
import type { Logger } from '../ports/logger';
import type { MetricsSink } from '../ports/metrics';
import type { ConnectionStore } from '../ports/store';
import { publishOutbox } from '../refresh/outbox';
import type { DueIndex, IndexedConnection } from '../store/due-index';
import type { RefreshTask } from './messages';
import { sendBatches } from './sqs';

/**
 * How far a scan pushes a claimed connection's due time: the visibility budget of its task in the
 * refresh queue. The infra keeps the queue's visibility timeout (6 × the refresher's timeout)
 * inside it, so a task that is retried once is still covered by its claim.
 */
export const SCAN_CLAIM_MS = 10 * 60_000;

export interface ScanDeps {
  readonly index: DueIndex;
  readonly store: ConnectionStore;
  readonly sqs: SQSClient;
  readonly refreshQueueUrl: string;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
}

export interface ScanOptions {
  readonly shards: number;
  /** At most this many connections are enqueued per run (the rest wait for the next tick). */
  readonly maxPerRun: number;
  /** Index entries read per Query page. @default 200 */
  readonly pageSize?: number;
  /**
   * How far a claim pushes `due_at`: the visibility budget of a queued task. It must exceed the
   * time a task may wait in the queue plus its processing, or the next scan enqueues it again
   * (harmless: the lease and the due check make the duplicate a no-op, but it costs a write).
   */
  readonly claimMs: number;
  /** Stop starting new pages after this long (keep well inside the function timeout). */
  readonly timeBudgetMs: number;
  /** Outbox events older than this are republished (younger ones are still being published inline). @default 30 s */
  readonly outboxGraceMs?: number;
}

export interface ScanReport {
  /** Due connections found in the index. */
  readonly due: number;
  readonly claimed: number;
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
 * run), claims each due connection, and sends refresh tasks (identifiers only) with
 * SendMessageBatch, 10 per call. Then republishes outboxes that a crash left unpublished.
 * Cost follows the number of due connections, not the table size.
 */
export async function scanDue(deps: ScanDeps, options: ScanOptions): Promise<ScanReport> {
  const started = deps.clock.now();
  const now = started;
  const pageSize = options.pageSize ?? 200;
  const claimLimit = pLimit(32);
  let budget = options.maxPerRun;
  let due = 0;
  let claimed = 0;
  let enqueued = 0;
  let read = 0;
  let capacity = 0;
  let truncated = false;

  const scanShard = async (shard: number) => {
    let start: Awaited<ReturnType<DueIndex['queryDue']>>['next'];
    do {
      if (budget <= 0 || deps.clock.now() - started > options.timeBudgetMs) {
        truncated = true;
        return;
      }
      const limit = Math.min(pageSize, budget);
      budget -= limit;
      const page = await deps.index.queryDue(shard, now, limit, start);
      budget += limit - page.items.length;
      read += page.scanned;
      capacity += page.capacityUnits;
      due += page.items.length;
      const won = (
        await Promise.all(
          page.items.map((item) =>
            claimLimit(async () =>
              (await deps.index.claim(item, item.at, now + options.claimMs)) ? item : null,
            ),
          ),
        )
      ).filter((item): item is IndexedConnection => item !== null);
      claimed += won.length;
      const sent = await enqueue(deps, won); // not `+= await`: that reads the total before awaiting
      enqueued += sent;
      start = page.next;
    } while (start !== undefined);
  };

  await Promise.all(Array.from({ length: options.shards }, (_, shard) => scanShard(shard)));
  const outboxRepublished = await republishOutboxes(deps, options, now - (options.outboxGraceMs ?? 30_000));
  const report: ScanReport = {
    due,
    claimed,
    enqueued,
    indexEntriesRead: read,
    capacityUnits: capacity,
    outboxRepublished,
    truncated,
    durationMs: deps.clock.now() - started,
  };
  deps.metrics.count('ScanDue', due);
  deps.metrics.count('ScanEnqueued', enqueued);
  deps.metrics.count('ScanIndexEntriesRead', read);
  deps.metrics.milliseconds('ScanDurationMs', report.durationMs);
  if (truncated) deps.metrics.count('ScanTruncated');
  deps.logger.info('scan finished', { ...report });
  return report;
}

async function enqueue(deps: ScanDeps, items: readonly IndexedConnection[]): Promise<number> {
  if (items.length === 0) return 0;
  const tasks = items.map(
    (item): RefreshTask => ({
      v: 1,
      integration_id: item.integrationId,
      connection_id: item.connectionId,
      due_at: item.at,
    }),
  );
  try {
    const { failed } = await sendBatches(
      deps.sqs,
      deps.refreshQueueUrl,
      tasks.map((t) => JSON.stringify(t)),
    );
    if (failed.length > 0) {
      // Claimed but not queued: they come back when the claim runs out.
      deps.metrics.count('ScanEnqueueFailed', failed.length);
      deps.logger.warn('refresh tasks not accepted by SQS; they are retried after the claim expires', {
        failed: failed.length,
      });
    }
    return tasks.length - failed.length;
  } catch (error) {
    deps.metrics.count('ScanEnqueueFailed', tasks.length);
    deps.logger.error('enqueueing refresh tasks failed; they are retried after the claim expires', {
      tasks: tasks.length,
      error: error instanceof Error ? error.message : 'unknown',
    });
    return 0;
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
