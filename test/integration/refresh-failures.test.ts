import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTokenClient } from '../../shared/adapters/http/token-client';
import { createLocalKeyring } from '../../shared/adapters/local/keyring';
import type { ConnectionKey } from '../../shared/domain/ids';
import { StaleFenceError } from '../../shared/errors';
import { type Failpoints, SimulatedCrash } from '../../shared/refresh/failpoints';
import { decryptSecrets } from '../../shared/refresh/secrets';
import { ManualClock } from '../support/clock';
import { type Core, createCore, RecordingPublisher } from '../support/core';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';
import { useTestTable } from '../support/test-table';

const LEASE_MS = 8_000;

// reliability.md promises 3–7 and 12 against a scriptable provider double (real HTTP on loopback),
// real dynalite and the local keyring. The clock is manual so backoff and leases are exact.
describe('refreshConnection failure handling', () => {
  const db = useTestTable();
  let double: ProviderDouble;
  const clock = new ManualClock();
  const keyring = createLocalKeyring(randomBytes(32));
  let publisher: RecordingPublisher;
  let core: Core;
  let pauseAfterAnswer: Failpoints | undefined;

  beforeAll(async () => {
    double = await startProviderDouble({ now: () => clock.now() });
    const setup = createCore({ ...db, keyring, clock });
    const base = { provider: 'custom', client_id: 'client-1', token_url: double.url } as const;
    await setup.putIntegration(
      'strict',
      { ...base, rotates_refresh_token: true, reuse_grace_seconds: 0 },
      'secret-strict-1',
    );
    await setup.putIntegration(
      'grace',
      { ...base, rotates_refresh_token: true, reuse_grace_seconds: 60 },
      'secret-grace-12',
    );
    await setup.putIntegration('static', { ...base, rotates_refresh_token: false }, 'secret-static-1');
  });
  afterAll(async () => {
    await double?.close();
  });
  beforeEach(() => {
    publisher = new RecordingPublisher();
    pauseAfterAnswer = undefined;
    core = createCore({
      ...db,
      keyring,
      clock,
      publisher,
      options: { providerTimeoutMs: 1_000, commitBudgetMs: 1_000, leaseMs: LEASE_MS },
      failpoints: (name) => pauseAfterAnswer?.(name),
    });
    double.setMode('strict_local');
    double.resetRequests();
  });

  async function connection(
    integrationId: string,
    expiresAt = clock.now() + 3_600_000,
  ): Promise<{ key: ConnectionKey; refreshToken: string }> {
    const refreshToken = double.mintFamily();
    rememberSecret(refreshToken);
    const key = { integrationId, connectionId: `c-${randomBytes(4).toString('hex')}` };
    await core.importConnection(key, { refreshToken, expiresAt });
    return { key, refreshToken };
  }
  const stored = async (key: ConnectionKey) => {
    const c = await core.store.get(key);
    if (c === null) throw new Error('missing');
    return c;
  };
  const secretsOf = async (key: ConnectionKey) => decryptSecrets(keyring, await stored(key));

  it('keeps the stored refresh token byte-equal when the provider omits it', async () => {
    const { key, refreshToken } = await connection('static');
    double.setMode('omit_refresh_token');
    const before = await secretsOf(key);

    const result = await core.refresh(key, { trigger: 'forced' });

    expect(result.outcome).toBe('refreshed');
    const after = await secretsOf(key);
    rememberSecret(after.access_token);
    expect(Buffer.from(after.refresh_token ?? '').equals(Buffer.from(refreshToken))).toBe(true);
    expect(after.access_token).not.toBe(before.access_token);
  });

  it('a revoked grant ends needs_reauth with the provider error kept, one event, and no retry', async () => {
    const { key } = await connection('strict');
    double.setMode({
      mode: 'status',
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    });

    const result = await core.refresh(key, { trigger: 'forced' });

    expect(result.outcome).toBe('failed');
    const c = await stored(key);
    expect(c.status).toBe('needs_reauth');
    expect(c.lastError).toMatchObject({
      code: 'revoked',
      provider_error: 'invalid_grant',
      provider_error_description: 'Token has been expired or revoked.',
    });
    expect(c.nextRefreshAt).toBeNull();
    expect(publisher.types()).toEqual(['connection.reauth_required']);
    expect(publisher.events[0]?.body.data).toMatchObject({
      status: 'needs_reauth',
      error: { code: 'revoked' },
    });

    const again = await core.refresh(key, { trigger: 'forced' });
    expect(again.outcome).toBe('needs_reauth');
    expect(double.requests.count).toBe(1);
    expect(publisher.events).toHaveLength(1);
  });

  it('a 503 makes the connection failing with a backoff due time; attempts inside the state emit nothing; success recovers', async () => {
    const { key } = await connection('strict');
    double.setMode({ mode: 'status', status: 503 });

    await core.refresh(key, { trigger: 'forced' });
    const first = await stored(key);
    expect(first).toMatchObject({
      status: 'failing',
      consecutiveFailures: 1,
      lastError: { code: 'provider_unavailable' },
    });
    expect(first.nextRefreshAt).toBeGreaterThan(clock.now());

    clock.advance((first.nextRefreshAt ?? 0) - clock.now() + 1);
    await core.refresh(key, { trigger: 'scheduled' });
    expect(await stored(key)).toMatchObject({ status: 'failing', consecutiveFailures: 2 });

    double.setMode('strict_local');
    clock.advance(3_600_000);
    const recovered = await core.refresh(key, { trigger: 'scheduled' });
    expect(recovered.outcome).toBe('refreshed');
    expect(await stored(key)).toMatchObject({ status: 'active', consecutiveFailures: 0, lastError: null });
    expect(publisher.types()).toEqual(['connection.refresh_failed', 'connection.recovered']);
    if (recovered.outcome === 'refreshed')
      rememberSecret(recovered.secrets.access_token, recovered.secrets.refresh_token);
  });

  it('429 with Retry-After: 30 means no new attempt for that connection within 30 s', async () => {
    const { key } = await connection('strict');
    double.setMode({
      mode: 'status',
      status: 429,
      headers: { 'retry-after': '30' },
      body: { error: 'slow_down' },
    });
    const failedAt = clock.now();

    await core.refresh(key, { trigger: 'forced' });
    expect((await stored(key)).nextRefreshAt).toBeGreaterThanOrEqual(failedAt + 30_000);
    double.setMode('strict_local');

    clock.advance(29_000);
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('backing_off');
    expect((await core.refresh(key, { trigger: 'on_demand', minValiditySeconds: 7_200 })).outcome).toBe(
      'backing_off',
    );
    expect((await core.refresh(key, { trigger: 'scheduled' })).outcome).toBe('not_needed');
    expect(double.requests.count).toBe(1);

    clock.advance(((await stored(key)).nextRefreshAt ?? 0) - clock.now());
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');
    expect(double.requests.count).toBe(2);
  });

  it('crash after the provider answered, grace provider: the next attempt after the lease recovers', async () => {
    const { key } = await connection('grace');
    double.setMode({ mode: 'grace', graceSeconds: 60 });
    pauseAfterAnswer = (name) => {
      if (name === 'after_provider_answer') throw new SimulatedCrash(name);
    };
    await expect(core.refresh(key, { trigger: 'forced' })).rejects.toBeInstanceOf(SimulatedCrash);
    pauseAfterAnswer = undefined;

    clock.advance(LEASE_MS + 1);
    const retry = await core.refresh(key, { trigger: 'forced' });

    expect(retry.outcome).toBe('refreshed');
    expect(await stored(key)).toMatchObject({ status: 'active' });
    expect(double.localStats.reuseWithinGrace).toBeGreaterThanOrEqual(1);
    expect(publisher.events).toHaveLength(0);
    const s = await secretsOf(key);
    rememberSecret(s.access_token, s.refresh_token);
  });

  it('crash after the provider answered, strict provider: the connection ends needs_reauth with exactly one event', async () => {
    const { key } = await connection('strict');
    pauseAfterAnswer = (name) => {
      if (name === 'after_provider_answer') throw new SimulatedCrash(name);
    };
    await expect(core.refresh(key, { trigger: 'forced' })).rejects.toBeInstanceOf(SimulatedCrash);
    pauseAfterAnswer = undefined;

    clock.advance(LEASE_MS + 1);
    await core.refresh(key, { trigger: 'forced' });
    await core.refresh(key, { trigger: 'forced' });

    expect(await stored(key)).toMatchObject({ status: 'needs_reauth', lastError: { code: 'revoked' } });
    expect(publisher.types()).toEqual(['connection.reauth_required']);
  });

  it('a worker paused past its lease cannot commit, and never overwrites the tokens stored by the worker that took over', async () => {
    const { key } = await connection('grace');
    double.setMode({ mode: 'grace', graceSeconds: 600 });
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let paused!: () => void;
    const isPaused = new Promise<void>((resolve) => {
      paused = resolve;
    });
    const frozen = createCore({
      ...db,
      keyring,
      clock,
      publisher,
      owner: 'frozen',
      options: { providerTimeoutMs: 1_000, commitBudgetMs: 1_000, leaseMs: LEASE_MS },
      failpoints: async (name) => {
        if (name === 'after_provider_answer') {
          paused();
          await resumed;
        }
      },
    });
    const versionBefore = (await stored(key)).version;

    const frozenRefresh = frozen.refresh(key, { trigger: 'forced' });
    await isPaused;
    clock.advance(LEASE_MS + 1);
    const takeover = await core.refresh(key, { trigger: 'forced' });
    expect(takeover.outcome).toBe('refreshed');
    const afterTakeover = await stored(key);
    resume();

    await expect(frozenRefresh).rejects.toBeInstanceOf(StaleFenceError);
    const final = await stored(key);
    expect(final.secretsCiphertext).toEqual(afterTakeover.secretsCiphertext);
    expect(final.version).toBe(afterTakeover.version);
    expect(final.version).toBeGreaterThan(versionBefore);
    const s = await secretsOf(key);
    rememberSecret(s.access_token, s.refresh_token);
  });

  it('invalid_grant after a refresher that took over the lease rotated the token is success, not revocation', async () => {
    const { key } = await connection('grace', clock.now() + 2 * LEASE_MS);
    let thaw: () => void = () => {};
    const frozen = new Promise<void>((resolve) => {
      thaw = resolve;
    });
    const real = createTokenClient({ allowPrivateUrls: true });
    // The API's worker freezes after its last lease check, just before it sends (a GC pause, a
    // frozen container); when it wakes, the provider rejects the token it presents as superseded.
    const api = createCore({
      ...db,
      keyring,
      clock,
      publisher,
      options: { providerTimeoutMs: 1_000, commitBudgetMs: 1_000, leaseMs: LEASE_MS },
      tokenClient: {
        refresh: async (input, options) => {
          await frozen;
          double.once({ mode: 'status', status: 400, body: { error: 'invalid_grant' } });
          return real.refresh(input, options);
        },
      },
    });
    const stalled = api.refresh(key, { trigger: 'forced' });
    for (let i = 0; i < 100 && (await stored(key)).leaseUntil === null; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await stored(key)).leaseUntil).not.toBeNull();

    // Its lease runs out; the refresher takes the connection over and rotates.
    clock.advance(2 * LEASE_MS);
    const refresher = await core.refresh(key, { trigger: 'scheduled' });
    expect(refresher.outcome).toBe('refreshed');
    const rotated = await secretsOf(key);
    rememberSecret(rotated.access_token, rotated.refresh_token);

    thaw();
    const result = await stalled;

    expect(result.outcome).toBe('refreshed_by_sibling');
    expect(await stored(key)).toMatchObject({ status: 'active', lastError: null });
    expect((await secretsOf(key)).refresh_token).toBe(rotated.refresh_token);
    expect(publisher.events).toHaveLength(0);
  });

  it('a worker stalled past its lease before the provider call does not present the refresh token', async () => {
    const { key } = await connection('strict');
    pauseAfterAnswer = (name) => {
      if (name === 'after_lease') clock.advance(LEASE_MS);
    };

    await expect(core.refresh(key, { trigger: 'forced' })).rejects.toMatchObject({ code: 'lease_expired' });

    expect(double.requests.count).toBe(0);
    expect(await stored(key)).toMatchObject({ status: 'active', leaseUntil: null });
  });

  it('an answer lost after sending is ambiguous: not re-sent to a strict rotator, re-sent once where reuse is harmless', async () => {
    const strict = await connection('strict');
    double.setMode('hang');
    const result = await core.refresh(strict.key, { trigger: 'forced' });
    expect(result.outcome === 'failed' && result.failure.code).toBe('ambiguous');
    expect(double.requests.count).toBe(1);
    expect(await stored(strict.key)).toMatchObject({ status: 'failing', lastError: { code: 'ambiguous' } });

    const tolerant = await connection('static');
    double.resetRequests();
    double.setMode('omit_refresh_token');
    double.once('hang');
    const retried = await core.refresh(tolerant.key, { trigger: 'forced' });
    expect(retried.outcome).toBe('refreshed');
    expect(double.requests.count).toBe(2);
    if (retried.outcome === 'refreshed') rememberSecret(retried.secrets.access_token);
  });

  it('does not start a provider call without time for the call and the commit, and frees the lease', async () => {
    const { key } = await connection('strict');
    await expect(
      core.refresh(key, { trigger: 'forced', remainingTimeMs: () => 1_500 }),
    ).rejects.toMatchObject({
      code: 'insufficient_time',
    });
    expect(double.requests.count).toBe(0);
    expect((await stored(key)).leaseUntil).toBeNull();
  });

  it('re-importing credentials into a needs_reauth connection makes it active and emits connection.reauthorized', async () => {
    const { key } = await connection('strict');
    double.setMode({ mode: 'status', status: 400, body: { error: 'invalid_grant' } });
    await core.refresh(key, { trigger: 'forced' });
    expect((await stored(key)).status).toBe('needs_reauth');

    const fresh = double.mintFamily();
    rememberSecret(fresh);
    const { connection: reimported } = await core.importConnection(key, { refreshToken: fresh });

    expect(reimported).toMatchObject({ status: 'active', consecutiveFailures: 0, lastError: null });
    expect(reimported.nextRefreshAt).not.toBeNull();
    expect(publisher.types()).toEqual(['connection.reauth_required', 'connection.reauthorized']);
  });
});
