import { type ConnectionKey, connectionKeyString } from '../domain/ids';
import type { Clock } from '../ports/clock';
import type { HistoryRecorder } from '../ports/history';
import type { Logger } from '../ports/logger';

/** Token reads are flushed at most this often per process (api.md v1.1: visible within 60 s). */
export const TOKEN_READS_FLUSH_MS = 60_000;

/**
 * Counts token reads per connection and UTC day in this process and adds them to the day's history
 * item at most once a minute (one ADD update per connection and day), so the token endpoint's hot
 * path stays one read. A flush starts from a read that finds the last one a minute old, and from a
 * timer while the process lives; counts a failed flush could not write are kept for the next one.
 */
export class TokenReadCounter {
  private readonly pending = new Map<string, { key: ConnectionKey; day: string; count: number }>();
  private lastFlush: number;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly history: HistoryRecorder,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly logger: Logger,
  ) {
    this.lastFlush = clock.now();
  }

  record(key: ConnectionKey): void {
    const now = this.clock.now();
    const day = new Date(now).toISOString().slice(0, 10);
    const id = `${connectionKeyString(key)}|${day}`;
    const entry = this.pending.get(id);
    if (entry === undefined)
      this.pending.set(id, {
        key: { integrationId: key.integrationId, connectionId: key.connectionId },
        day,
        count: 1,
      });
    else entry.count += 1;
    if (now - this.lastFlush >= TOKEN_READS_FLUSH_MS) void this.flush();
  }

  /** Reads of a connection counted here and not yet written, by day. */
  unflushed(key: ConnectionKey): { day: string; count: number }[] {
    const prefix = `${connectionKeyString(key)}|`;
    return [...this.pending.entries()]
      .filter(([id]) => id.startsWith(prefix))
      .map(([, e]) => ({ day: e.day, count: e.count }));
  }

  /** Writes what is pending (one flush at a time). Never throws. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    this.lastFlush = this.clock.now();
    const batch = [...this.pending.entries()];
    this.pending.clear();
    for (const [id, entry] of batch) {
      try {
        await this.history.tokenReads(entry.key, entry.day, entry.count);
      } catch (error) {
        const again = this.pending.get(id);
        if (again === undefined) this.pending.set(id, entry);
        else again.count += entry.count;
        this.logger.warn('token read counts not written; kept for the next flush', {
          error: error instanceof Error ? error.name : 'unknown',
        });
      }
    }
  }
}
