import { describe, expect, it } from 'vitest';
import { DEFAULT_REFRESH_SETTINGS, type RefreshSettings } from '../../../shared/domain/integration';
import { appendAttempt, decodeAttempts, encodeAttempts, RING_CAPACITY } from '../../../shared/history/ring';
import { processRefreshResponse } from '../../../shared/oauth/response';
import { clocksAfterRefresh, clocksDeadline, reauthWarningDue } from '../../../shared/policy/grant-clocks';
import { MAX_REFRESH_TOKEN_LIFETIME_SECONDS } from '../../../shared/policy/limits';

const NOW = Date.UTC(2026, 10, 25, 12);
const DAY = 86_400_000;
const settings = (o: Partial<RefreshSettings> = {}): RefreshSettings => ({
  ...DEFAULT_REFRESH_SETTINGS,
  ...o,
});
const answer = (body: Record<string, unknown>) =>
  processRefreshResponse({
    status: 200,
    headers: { get: (n) => (n === 'content-type' ? 'application/json' : null) },
    bodyText: JSON.stringify(body),
    integration: {
      tokenPath: null,
      expiryFallback: 'jwt_exp_then_previous',
      refresh: DEFAULT_REFRESH_SETTINGS,
    },
    previousLifetimeSeconds: null,
    now: NOW,
  });

describe('refresh token expiry from the answer', () => {
  it('reads refresh_token_expires_in and clamps an absurd one to 10 years', () => {
    const ok = answer({ access_token: 'a', refresh_token: 'r', refresh_token_expires_in: 15_811_200 });
    expect(ok.ok && ok.tokens.refreshTokenExpiresAt).toBe(NOW + 15_811_200_000);
    const absurd = answer({ access_token: 'a', refresh_token_expires_in: 1e200 });
    expect(absurd.ok && absurd.tokens.refreshTokenExpiresAt).toBe(
      NOW + MAX_REFRESH_TOKEN_LIFETIME_SECONDS * 1000,
    );
    const none = answer({ access_token: 'a' });
    expect(none.ok && none.tokens.refreshTokenExpiresAt).toBeUndefined();
  });
});

describe('grant clocks', () => {
  const previous = { refreshTokenExpiresAt: null, reauthDueAt: null, lastRefreshAt: NOW - DAY };

  it('a configured grant lifetime counts from authorization; an idle lifetime from this use', () => {
    const c = clocksAfterRefresh({
      now: NOW,
      settings: settings({ grantLifetimeSeconds: 30 * 86_400, refreshTokenIdleSeconds: 7 * 86_400 }),
      authorizedAt: NOW - 10 * DAY,
      previous,
      answered: null,
      rotated: true,
    });
    expect(c).toEqual({ refreshTokenExpiresAt: NOW + 7 * DAY, reauthDueAt: NOW + 20 * DAY });
  });

  it('a rotation whose expiry no longer moves later reveals a fixed end; a sliding one never does', () => {
    const fixedEnd = NOW + 90 * DAY;
    const fixed = clocksAfterRefresh({
      now: NOW,
      settings: settings(),
      authorizedAt: NOW - 10 * DAY,
      previous: { ...previous, refreshTokenExpiresAt: fixedEnd },
      answered: fixedEnd,
      rotated: true,
    });
    expect(fixed.reauthDueAt).toBe(fixedEnd);
    const sliding = clocksAfterRefresh({
      now: NOW,
      settings: settings(),
      authorizedAt: NOW - 10 * DAY,
      previous: { ...previous, refreshTokenExpiresAt: NOW - DAY + 90 * DAY },
      answered: NOW + 90 * DAY,
      rotated: true,
    });
    expect(sliding.reauthDueAt).toBeNull();
  });

  it('schedules before the refresh token dies whatever the keep-alive, and wakes at the warning', () => {
    const s = settings({ keepaliveSeconds: 30 * 86_400, reauthLeadSeconds: 7 * 86_400 });
    expect(clocksDeadline(s, { refreshTokenExpiresAt: NOW + 4 * DAY, reauthDueAt: null }, false, NOW)).toBe(
      NOW + 3 * DAY,
    );
    expect(clocksDeadline(s, { refreshTokenExpiresAt: null, reauthDueAt: NOW + 10 * DAY }, false, NOW)).toBe(
      NOW + 3 * DAY,
    );
    // A refresh token said to die at once is refreshed a minute on, not in a loop.
    expect(clocksDeadline(s, { refreshTokenExpiresAt: NOW + 1_000, reauthDueAt: null }, false, NOW)).toBe(
      NOW + 60_000,
    );
    // Warned, or the warning instant already past: no constraint from it.
    expect(
      clocksDeadline(s, { refreshTokenExpiresAt: null, reauthDueAt: NOW + 10 * DAY }, true, NOW),
    ).toBeNull();
    expect(clocksDeadline(s, { refreshTokenExpiresAt: null, reauthDueAt: NOW + DAY }, false, NOW)).toBeNull();
    expect(reauthWarningDue(s, { refreshTokenExpiresAt: null, reauthDueAt: NOW + DAY }, false, NOW)).toBe(
      true,
    );
    expect(reauthWarningDue(s, { refreshTokenExpiresAt: null, reauthDueAt: NOW + DAY }, true, NOW)).toBe(
      false,
    );
  });
});

describe('attempt ring', () => {
  it('round-trips attempts and spills the oldest past its capacity', () => {
    const at = (i: number) => NOW + i * 2_700_000;
    let ring: string | null = null;
    const spilled = [];
    for (let i = 0; i <= RING_CAPACITY; i++) {
      const next = appendAttempt(ring, {
        at: at(i),
        trigger: i % 2 === 0 ? 'scheduled' : 'forced',
        outcome: i === 2 ? 'failed' : 'refreshed',
        code: i === 2 ? 'rate_limited' : null,
        durationMs: 100 + i,
      });
      ring = next.ring;
      spilled.push(...next.spilled);
    }
    const all = [...spilled, ...decodeAttempts(ring)];
    expect(all.map((a) => a.at)).toEqual(Array.from({ length: RING_CAPACITY + 1 }, (_, i) => at(i)));
    expect(all[2]).toMatchObject({
      outcome: 'failed',
      code: 'rate_limited',
      trigger: 'scheduled',
      durationMs: 102,
    });
    expect(decodeAttempts(ring).length).toBeLessThanOrEqual(RING_CAPACITY);
    // About 7 bytes an attempt after the first.
    expect(encodeAttempts(decodeAttempts(ring)).length).toBeLessThanOrEqual(9 + 7 * (RING_CAPACITY - 1));
    expect(decodeAttempts('garbage,,1A')).toHaveLength(1);
  });
});
