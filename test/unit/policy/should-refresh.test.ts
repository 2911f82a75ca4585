import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStillValid, shouldRefresh } from '../../../shared/policy/should-refresh';
import { nowArbitrary } from './arbitraries';

const T = 1_750_000_000_000;
const S = 1_000;

describe('shouldRefresh', () => {
  const fresh = {
    now: T,
    expiresAt: T + 3_600 * S,
    nextRefreshAt: T + 2_700 * S,
    minValiditySeconds: 60,
    force: false,
  };

  it('refreshes when forced, even a fresh token', () => {
    expect(shouldRefresh({ ...fresh, force: true })).toEqual({ refresh: true, reason: 'forced' });
  });

  it('reports forced before expired', () => {
    expect(shouldRefresh({ ...fresh, expiresAt: T - S, force: true }).reason).toBe('forced');
  });

  it('refreshes an expired token', () => {
    expect(shouldRefresh({ ...fresh, expiresAt: T - S })).toEqual({ refresh: true, reason: 'expired' });
  });

  it('treats a token expiring this very millisecond as expired', () => {
    expect(shouldRefresh({ ...fresh, expiresAt: T, minValiditySeconds: 0 })).toEqual({
      refresh: true,
      reason: 'expired',
    });
  });

  it('refreshes a token with less than minValiditySeconds left', () => {
    expect(shouldRefresh({ ...fresh, expiresAt: T + 30 * S })).toEqual({ refresh: true, reason: 'expiring' });
  });

  it('serves a token with exactly minValiditySeconds left', () => {
    expect(shouldRefresh({ ...fresh, expiresAt: T + 60 * S, nextRefreshAt: null })).toEqual({
      refresh: false,
      reason: 'fresh',
    });
  });

  it('serves a valid token whose scheduled refresh is overdue, reporting it due', () => {
    expect(shouldRefresh({ ...fresh, nextRefreshAt: T - S })).toEqual({ refresh: false, reason: 'due' });
    expect(shouldRefresh({ ...fresh, nextRefreshAt: T })).toEqual({ refresh: false, reason: 'due' });
  });

  it('reports an expiring token as expiring even when it is also due', () => {
    expect(shouldRefresh({ ...fresh, expiresAt: T + 10 * S, nextRefreshAt: T - S }).reason).toBe('expiring');
  });

  it('serves a token without expiry as non_expiring', () => {
    expect(shouldRefresh({ ...fresh, expiresAt: null })).toEqual({ refresh: false, reason: 'non_expiring' });
  });

  it('reports a token without expiry whose keep-alive is overdue as due', () => {
    expect(shouldRefresh({ ...fresh, expiresAt: null, nextRefreshAt: T - S }).reason).toBe('due');
  });

  it('serves a fresh token', () => {
    expect(shouldRefresh(fresh)).toEqual({ refresh: false, reason: 'fresh' });
  });

  it('refreshes exactly when the token is not still valid, unless forced', () => {
    fc.assert(
      fc.property(
        nowArbitrary,
        fc.option(fc.integer({ min: -86_400_000, max: 86_400_000 })),
        fc.integer({ min: 0, max: 3_600 }),
        (now, remaining, minValiditySeconds) => {
          const expiresAt = remaining === null ? null : now + remaining;
          const decision = shouldRefresh({
            now,
            expiresAt,
            nextRefreshAt: null,
            minValiditySeconds,
            force: false,
          });
          return decision.refresh === !isStillValid(expiresAt, now, minValiditySeconds);
        },
      ),
    );
  });
});

describe('isStillValid', () => {
  it('holds for a token without expiry', () => {
    expect(isStillValid(null, T, 3_600)).toBe(true);
  });

  it('holds with exactly the minimum validity left', () => {
    expect(isStillValid(T + 60 * S, T, 60)).toBe(true);
  });

  it('fails with a millisecond less than the minimum validity left', () => {
    expect(isStillValid(T + 60 * S - 1, T, 60)).toBe(false);
  });

  it('fails for an expired token even when no validity is required', () => {
    expect(isStillValid(T, T, 0)).toBe(false);
    expect(isStillValid(T - 1, T, 0)).toBe(false);
  });
});
