import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeRetryDelayMs, isPastRetryHorizon } from '../../../shared/policy/backoff';
import { fixedRandom, nowArbitrary, settingsArbitrary, settingsWith, unitArbitrary } from './arbitraries';

const S = 1_000;
const T = 1_750_000_000_000;

describe('computeRetryDelayMs', () => {
  // Defaults: base 30 s, cap 1800 s.
  const base = { settings: settingsWith(), random: fixedRandom(0.5), retryAfterSeconds: null };

  it('waits a jittered share of the base after the first failure', () => {
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 1 })).toBe(15 * S);
  });

  it('doubles the window with every failure', () => {
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 2 })).toBe(30 * S);
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 3 })).toBe(60 * S);
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 6 })).toBe(480 * S);
  });

  it('caps the window at retryMaxSeconds', () => {
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 7 })).toBe(900 * S);
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 50 })).toBe(900 * S);
  });

  it('stays finite after an absurd number of failures', () => {
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 1e9 })).toBe(900 * S);
  });

  it('uses the full window when random() is near 1 (full jitter)', () => {
    const delay = computeRetryDelayMs({ ...base, consecutiveFailures: 1, random: fixedRandom(0.999_999) });
    expect(delay).toBe(29_999);
  });

  it('waits at least 1 s even when random() is 0', () => {
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 1, random: fixedRandom(0) })).toBe(S);
  });

  it('treats a failure count below 1 as the first failure', () => {
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 0 })).toBe(15 * S);
  });

  it('never retries before Retry-After, even past the cap', () => {
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 1, retryAfterSeconds: 3_600 })).toBe(
      3_600 * S,
    );
  });

  it('keeps the jittered delay when it is longer than Retry-After', () => {
    expect(computeRetryDelayMs({ ...base, consecutiveFailures: 3, retryAfterSeconds: 5 })).toBe(60 * S);
  });

  it('rounds a fractional Retry-After up', () => {
    const delay = computeRetryDelayMs({
      ...base,
      random: fixedRandom(0),
      consecutiveFailures: 1,
      retryAfterSeconds: 1.5,
    });
    expect(delay).toBe(1_500);
  });

  it.each([-5, 0, Number.NaN, Number.POSITIVE_INFINITY])(
    'ignores a Retry-After of %s',
    (retryAfterSeconds) => {
      expect(computeRetryDelayMs({ ...base, consecutiveFailures: 1, retryAfterSeconds })).toBe(15 * S);
    },
  );

  it('stays within [max(1 s, Retry-After), max(cap, Retry-After)]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        settingsArbitrary,
        unitArbitrary,
        fc.option(fc.integer({ min: 0, max: 172_800 })),
        (consecutiveFailures, settings, r, retryAfterSeconds) => {
          const delay = computeRetryDelayMs({
            consecutiveFailures,
            settings,
            random: () => r,
            retryAfterSeconds,
          });
          const capMs =
            Math.min(settings.retryMaxSeconds, settings.retryBaseSeconds * 2 ** (consecutiveFailures - 1)) *
            S;
          const retryAfterMs = (retryAfterSeconds ?? 0) * S;
          return (
            Number.isInteger(delay) &&
            delay >= Math.max(S, retryAfterMs) &&
            delay <= Math.max(capMs, retryAfterMs, S)
          );
        },
      ),
    );
  });
});

describe('isPastRetryHorizon', () => {
  const settings = settingsWith({ retryHorizonSeconds: 3_600 });

  it('is false for a connection that is not failing', () => {
    expect(isPastRetryHorizon({ failingSince: null, now: T, settings })).toBe(false);
  });

  it('is false while the failures are younger than the horizon', () => {
    expect(isPastRetryHorizon({ failingSince: T - 3_600 * S + 1, now: T, settings })).toBe(false);
  });

  it('is true once the failures are as old as the horizon', () => {
    expect(isPastRetryHorizon({ failingSince: T - 3_600 * S, now: T, settings })).toBe(true);
    expect(isPastRetryHorizon({ failingSince: T - 7_200 * S, now: T, settings })).toBe(true);
  });

  it('agrees with the elapsed time for any horizon', () => {
    fc.assert(
      fc.property(
        nowArbitrary,
        fc.integer({ min: 0, max: 60 * 86_400 * S }),
        settingsArbitrary,
        (now, age, s) => {
          return (
            isPastRetryHorizon({ failingSince: now - age, now, settings: s }) ===
            age >= s.retryHorizonSeconds * S
          );
        },
      ),
    );
  });
});
