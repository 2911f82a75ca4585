import { describe, expect, it } from 'vitest';
import {
  deadLetterAfterSeconds,
  redeliveryDelaySeconds,
  retrySpanSeconds,
  SQS_MAX_VISIBILITY_SECONDS,
  WEBHOOK_DLQ_RETENTION_SECONDS,
  WEBHOOK_MAX_RECEIVE_COUNT,
  WEBHOOK_MIN_RETRY_SPAN_SECONDS,
  WEBHOOK_QUEUE_RETENTION_SECONDS,
} from '../../../shared/webhooks/retry';

const receives = Array.from({ length: WEBHOOK_MAX_RECEIVE_COUNT + 5 }, (_, i) => i + 1);

describe('webhook redelivery schedule', () => {
  it('keeps attempting for at least 24 h before the DLQ takes the event', () => {
    expect(retrySpanSeconds()).toBeGreaterThanOrEqual(24 * 3_600);
    expect(retrySpanSeconds()).toBeGreaterThanOrEqual(WEBHOOK_MIN_RETRY_SPAN_SECONDS);
  });

  it('would not cover a day with a few receives less (the margin is real, not accidental)', () => {
    expect(retrySpanSeconds(WEBHOOK_MAX_RECEIVE_COUNT - 5)).toBeLessThan(24 * 3_600);
  });

  it('never asks SQS for more than its 12 h visibility limit', () => {
    for (const n of receives)
      expect(redeliveryDelaySeconds(n)).toBeLessThanOrEqual(SQS_MAX_VISIBILITY_SECONDS);
  });

  it('never shortens the wait from one receive to the next', () => {
    for (const n of receives.slice(1)) {
      expect(redeliveryDelaySeconds(n)).toBeGreaterThanOrEqual(redeliveryDelaySeconds(n - 1));
    }
  });

  it('starts at 30 s, doubles to 32 min, then waits 1 h and 2 h at most', () => {
    const schedule = receives.slice(0, 10).map((n) => redeliveryDelaySeconds(n));
    expect(schedule).toEqual([30, 60, 120, 240, 480, 960, 1_920, 3_600, 7_200, 7_200]);
  });

  it('scales the whole schedule with the first delay, never below 1 s', () => {
    expect([1, 2, 3, 8, 9].map((n) => redeliveryDelaySeconds(n, 1))).toEqual([1, 2, 4, 120, 240]);
    expect(redeliveryDelaySeconds(1, 60)).toBe(60);
    expect(redeliveryDelaySeconds(24, 3_600)).toBe(43_200);
  });

  it('treats a missing or nonsensical receive count as the first receive', () => {
    expect(redeliveryDelaySeconds(0)).toBe(30);
    expect(redeliveryDelaySeconds(Number.NaN)).toBe(30);
    expect(redeliveryDelaySeconds(-3)).toBe(30);
  });

  it('retains messages longer than they take to reach the DLQ, and the DLQ longer still', () => {
    expect(WEBHOOK_QUEUE_RETENTION_SECONDS).toBeGreaterThan(deadLetterAfterSeconds());
    expect(WEBHOOK_DLQ_RETENTION_SECONDS).toBeGreaterThan(WEBHOOK_QUEUE_RETENTION_SECONDS);
    expect(WEBHOOK_DLQ_RETENTION_SECONDS).toBeLessThanOrEqual(14 * 24 * 3_600); // the SQS maximum
  });
});
