import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeNextRefreshAt } from '../../../shared/policy/schedule';
import {
  fixedRandom,
  nowArbitrary,
  seededRandom,
  settingsArbitrary,
  settingsWith,
  unitArbitrary,
} from './arbitraries';

const T = 1_750_000_000_000;
const S = 1_000;
const HOUR = 3_600 * S;
const DAY = 24 * HOUR;

type GeneratedBy<A> = A extends fc.Arbitrary<infer T> ? T : never;

describe('computeNextRefreshAt', () => {
  const base = { now: T, lastRefreshAt: T, settings: settingsWith(), random: fixedRandom(0) };

  it('refreshes a 1-hour token 15 minutes before expiry', () => {
    expect(computeNextRefreshAt({ ...base, expiresAt: T + HOUR })).toBe(T + 45 * 60 * S);
  });

  it('subtracts jitter drawn from the jitter window', () => {
    const due = computeNextRefreshAt({ ...base, expiresAt: T + HOUR, random: fixedRandom(0.5) });
    expect(due).toBe(T + 45 * 60 * S - 60 * S);
  });

  it('caps the margin at a third of the lifetime, so a 10-second token is refreshed 3+ s early', () => {
    const due = computeNextRefreshAt({ ...base, expiresAt: T + 10 * S });
    expect(due).toBe(T + 6_666);
    expect(T + 10 * S - due).toBeGreaterThan(3 * S);
  });

  it('caps the jitter at a tenth of the lifetime for short-lived tokens', () => {
    const due = computeNextRefreshAt({ ...base, expiresAt: T + 10 * S, random: fixedRandom(0.999_999) });
    expect(due).toBeGreaterThanOrEqual(T + 5_666);
    expect(due).toBeLessThan(T + 6_666);
  });

  it('keeps the full margin once the lifetime is at least three margins', () => {
    expect(computeNextRefreshAt({ ...base, expiresAt: T + 30 * 60 * S })).toBe(T + 20 * 60 * S);
    expect(computeNextRefreshAt({ ...base, expiresAt: T + 45 * 60 * S })).toBe(T + 30 * 60 * S);
  });

  it('lets the keep-alive win when it comes first', () => {
    const due = computeNextRefreshAt({ ...base, lastRefreshAt: T - 23 * HOUR, expiresAt: T + 10 * DAY });
    expect(due).toBe(T + HOUR);
  });

  it('does not jitter the keep-alive when the expiry schedules', () => {
    const due = computeNextRefreshAt({
      ...base,
      lastRefreshAt: T - 23 * HOUR,
      expiresAt: T + 10 * DAY,
      random: fixedRandom(0.5),
    });
    expect(due).toBe(T + HOUR);
  });

  it('schedules only the keep-alive, minus jitter, when the expiry is unknown', () => {
    const due = computeNextRefreshAt({ ...base, expiresAt: null, random: fixedRandom(0.5) });
    expect(due).toBe(T + DAY - 60 * S);
  });

  it('ignores the expiry in on_demand mode', () => {
    const due = computeNextRefreshAt({
      ...base,
      settings: settingsWith({ mode: 'on_demand' }),
      expiresAt: T + HOUR,
      random: fixedRandom(0.5),
    });
    expect(due).toBe(T + DAY - 60 * S);
  });

  it('caps keep-alive jitter at a tenth of the keep-alive', () => {
    const settings = settingsWith({ keepaliveSeconds: 600, jitterSeconds: 3_600 });
    const due = computeNextRefreshAt({ ...base, settings, expiresAt: null, random: fixedRandom(0.5) });
    expect(due).toBe(T + 600 * S - 30 * S);
  });

  it('answers now for an expired token', () => {
    expect(computeNextRefreshAt({ ...base, expiresAt: T - 5 * S })).toBe(T);
    expect(computeNextRefreshAt({ ...base, expiresAt: T })).toBe(T);
  });

  it('answers now for a token with under a second left', () => {
    expect(computeNextRefreshAt({ ...base, expiresAt: T + 999 })).toBe(T);
  });

  it('schedules an overdue keep-alive one second from now, not in the past', () => {
    const due = computeNextRefreshAt({ ...base, lastRefreshAt: T - 2 * DAY, expiresAt: T + HOUR });
    expect(due).toBe(T + S);
  });

  it('returns integers', () => {
    const due = computeNextRefreshAt({ ...base, expiresAt: T + 7_777, random: fixedRandom(Math.PI / 4) });
    expect(Number.isInteger(due)).toBe(true);
  });
});

describe('computeNextRefreshAt properties', () => {
  const input = fc.record({
    now: nowArbitrary,
    lifetimeMs: fc.integer({ min: -DAY, max: 400 * DAY }),
    lastRefreshAgoMs: fc.integer({ min: 0, max: 400 * DAY }),
    settings: settingsArbitrary,
    r: unitArbitrary,
    knownExpiry: fc.boolean(),
  });
  const run = (i: GeneratedBy<typeof input>) =>
    computeNextRefreshAt({
      now: i.now,
      expiresAt: i.knownExpiry ? i.now + i.lifetimeMs : null,
      lastRefreshAt: i.now - i.lastRefreshAgoMs,
      settings: i.settings,
      random: () => i.r,
    });

  it('is an integer never before now', () => {
    fc.assert(
      fc.property(input, (i) => {
        const due = run(i);
        return Number.isInteger(due) && due >= i.now;
      }),
    );
  });

  it('is before expiry for proactive tokens with more than 2 s left', () => {
    fc.assert(
      fc.property(input, (i) => {
        fc.pre(i.knownExpiry && i.settings.mode === 'proactive' && i.lifetimeMs > 2 * S);
        return run(i) < i.now + i.lifetimeMs;
      }),
    );
  });

  it('is never after lastRefreshAt + keepalive while that lies ahead', () => {
    fc.assert(
      fc.property(input, (i) => {
        const keepaliveAt = i.now - i.lastRefreshAgoMs + i.settings.keepaliveSeconds * S;
        fc.pre(keepaliveAt >= i.now + S);
        return run(i) <= keepaliveAt;
      }),
    );
  });
});

describe('computeNextRefreshAt jitter', () => {
  const window = 120 * S;

  it('spreads 10,000 connections created at the same instant over the jitter window', () => {
    const random = seededRandom(42);
    const settings = settingsWith({ jitterSeconds: 120 });
    const dues = Array.from({ length: 10_000 }, () =>
      computeNextRefreshAt({ now: T, expiresAt: T + HOUR, lastRefreshAt: T, settings, random }),
    );
    const latest = T + 45 * 60 * S;
    expect(Math.max(...dues)).toBeLessThanOrEqual(latest);
    expect(Math.min(...dues)).toBeGreaterThanOrEqual(latest - window);
    expect(Math.max(...dues) - Math.min(...dues)).toBeGreaterThanOrEqual(0.8 * window);
    expect(new Set(dues).size).toBeGreaterThanOrEqual(9_000);
    // Roughly uniform: each 12-second bucket holds close to a tenth.
    const buckets = new Array<number>(10).fill(0);
    for (const due of dues) {
      const i = Math.min(9, Math.floor(((latest - due) / window) * 10));
      buckets[i] = (buckets[i] ?? 0) + 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(800);
  });

  it('spreads keep-alive-only connections too', () => {
    const random = seededRandom(7);
    const dues = Array.from({ length: 10_000 }, () =>
      computeNextRefreshAt({ now: T, expiresAt: null, lastRefreshAt: T, settings: settingsWith(), random }),
    );
    expect(Math.max(...dues) - Math.min(...dues)).toBeGreaterThanOrEqual(0.8 * window);
    expect(new Set(dues).size).toBeGreaterThanOrEqual(9_000);
  });
});
