import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboxEvent } from '../../../shared/domain/events';
import { TOKEN_READS_FLUSH_MS, TokenReadCounter } from '../../../shared/history/token-reads';
import type { Delivery, HistoryRecorder } from '../../../shared/ports/history';
import type { HttpTransport } from '../../../shared/ports/http';
import { silentLogger } from '../../../shared/ports/logger';
import { nullMetrics } from '../../../shared/ports/metrics';
import { buildEvent } from '../../../shared/refresh/events';
import { WEBHOOK_MAX_RECEIVE_COUNT } from '../../../shared/webhooks/retry';
import { processWebhookRecord, WebhookDestinations } from '../../../shared/webhooks/sender';
import { ManualClock } from '../../support/clock';

const key = { integrationId: 'i', connectionId: 'c' };

class FakeHistory implements Pick<HistoryRecorder, 'tokenReads' | 'delivery'> {
  readonly reads: Array<{ day: string; count: number }> = [];
  readonly deliveries: Array<{ id: string; delivery: Delivery }> = [];
  failNext = 0;
  async tokenReads(_key: unknown, day: string, count: number): Promise<void> {
    if (this.failNext-- > 0) throw new Error('throttled');
    this.reads.push({ day, count });
  }
  async delivery(event: OutboxEvent, delivery: Delivery): Promise<void> {
    this.deliveries.push({ id: event.id, delivery });
  }
}

describe('TokenReadCounter', () => {
  it('writes at most once a minute per process, one ADD per connection and day, and keeps what a failed write could not store', async () => {
    const clock = new ManualClock(Date.UTC(2026, 11, 6, 12));
    const history = new FakeHistory();
    const counter = new TokenReadCounter(history as unknown as HistoryRecorder, clock, silentLogger);
    for (let i = 0; i < 5; i++) counter.record(key);
    await counter.flush().then(() => undefined);
    expect(history.reads).toEqual([{ day: '2026-12-06', count: 5 }]);
    // Within the minute: counted, not written; then a read a minute later starts the write.
    counter.record(key);
    expect(history.reads).toHaveLength(1);
    expect(counter.unflushed(key)).toEqual([{ day: '2026-12-06', count: 1 }]);
    history.failNext = 1;
    clock.advance(TOKEN_READS_FLUSH_MS);
    counter.record(key); // starts a write, which fails
    await counter.flush();
    expect(history.reads).toHaveLength(1);
    await counter.flush();
    // The failed write's counts were kept and written by the next flush.
    expect(history.reads.reduce((s, r) => s + r.count, 0)).toBe(7);
  });
});

describe('webhook sender delivery outcomes', () => {
  const event = buildEvent(
    'connection.reauth_required',
    { integrationId: 'i', connectionId: 'c', provider: 'custom', status: 'active' },
    { status: 'needs_reauth', consecutiveFailures: 1, accessTokenExpiresAt: null, error: null },
    Date.UTC(2026, 11, 6, 12),
  );
  const depsWith = (status: number, history: FakeHistory) => ({
    key: randomBytes(32),
    defaultUrl: 'http://127.0.0.1:9/hooks',
    allowPrivateUrls: true,
    destinations: new WebhookDestinations({ get: async () => null }, { now: () => 0 }),
    redelivery: { after: async () => undefined },
    transport: {
      request: async () => ({ status, headers: new Headers(), bodyText: '' }),
      close: () => undefined,
    } satisfies HttpTransport,
    clock: { now: () => 0 },
    logger: silentLogger,
    metrics: nullMetrics,
    history,
  });
  const record = (attempt: number) => ({
    messageId: 'm',
    receiptHandle: 'r',
    body: JSON.stringify(event),
    attributes: { ApproximateReceiveCount: String(attempt) },
  });

  it('records delivered, nothing for a failure that will be retried, and dead_lettered for the last attempt', async () => {
    const history = new FakeHistory();
    await processWebhookRecord(depsWith(204, history), record(1));
    await expect(processWebhookRecord(depsWith(500, history), record(1))).rejects.toThrow();
    await expect(
      processWebhookRecord(depsWith(500, history), record(WEBHOOK_MAX_RECEIVE_COUNT)),
    ).rejects.toThrow();
    expect(history.deliveries).toEqual([
      { id: event.id, delivery: 'delivered' },
      { id: event.id, delivery: 'dead_lettered' },
    ]);
    // The event remembers the status it left (history's `from`), outside the signed body.
    expect(event.from).toBe('active');
    expect(JSON.stringify(event.body)).not.toContain('"from"');
  });
});
