import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalKeyring } from '../../shared/adapters/local/keyring';
import type { ConnectionKey } from '../../shared/domain/ids';
import { type Clock, systemClock } from '../../shared/ports/clock';
import {
  type GetValidTokenOptions,
  type GetValidTokenResult,
  getValidToken,
  type TokenFailure,
  type ValidToken,
} from '../../shared/refresh/get-valid-token';
import { decryptSecrets } from '../../shared/refresh/secrets';
import { type Core, type CoreOptions, createCore } from '../support/core';
import { startTestDynalite, type TestDynamo } from '../support/dynamo';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';

const READ: GetValidTokenOptions = { minValiditySeconds: 60, forceRefresh: false };
const FORCE: GetValidTokenOptions = { minValiditySeconds: 60, forceRefresh: true };

// getValidToken (api.md `GET .../token` without HTTP) on real parts: dynalite, the local keyring,
// oidc-provider with strict rotation behind a provider double that scripts outages. One case per
// way of obtaining a token and per failure, each stated as what the caller sees.
describe('getValidToken', () => {
  let dynamo: TestDynamo;
  let table: string;
  let oidc: OidcHarness;
  let double: ProviderDouble;
  const keyring = createLocalKeyring(randomBytes(32));
  let core: Core;
  let reads: string[];

  const newCore = (options: Partial<CoreOptions> = {}) => createCore({ dynamo, table, keyring, ...options });
  const depsOf = (c: Core) => ({
    store: c.store,
    keyring: c.keyring,
    clock: c.deps.clock,
    refresh: c.deps,
    tokenReads: { record: (key: ConnectionKey) => reads.push(key.connectionId) },
  });
  const get = (key: ConnectionKey, options: GetValidTokenOptions = READ, c: Core = core) =>
    getValidToken(depsOf(c), key, options).then(remember);

  beforeAll(async () => {
    dynamo = await startTestDynalite();
    table = await dynamo.newTable();
    oidc = await startOidcProvider({ rotation: 'strict', accessTokenTtlSeconds: 3600 });
    double = await startProviderDouble({ upstream: oidc.tokenUrl });
    const client = oidc.clients[0] ?? expect.fail('no oidc client');
    await newCore().putIntegration(
      'oidc',
      {
        provider: 'custom',
        client_id: client.id,
        token_url: double.url,
        client_auth: 'client_secret_basic',
        rotates_refresh_token: true,
        reuse_grace_seconds: 0,
      },
      client.secret,
    );
  });
  afterAll(async () => {
    await Promise.all([dynamo?.close(), double?.close(), oidc?.close()]);
  });
  beforeEach(() => {
    core = newCore();
    reads = [];
    oidc.resetStats();
    double.setMode('proxy');
    double.resetRequests();
  });

  /** A connection holding a live oidc-provider grant whose access token expires in `expiresIn` seconds. */
  async function connection(expiresIn: number, options: { refreshToken?: boolean } = {}) {
    const refreshToken =
      options.refreshToken === false
        ? undefined
        : await oidc.mintRefreshToken({ clientId: oidc.clients[0]?.id ?? '' });
    const accessToken = `at-${randomBytes(8).toString('hex')}`;
    rememberSecret(refreshToken, accessToken);
    const key = { integrationId: 'oidc', connectionId: `c-${randomBytes(4).toString('hex')}` };
    await core.importConnection(key, {
      accessToken,
      ...(refreshToken === undefined ? {} : { refreshToken }),
      expiresAt: Date.now() + expiresIn * 1_000,
      scope: 'openid offline_access',
    });
    return { key, accessToken, refreshToken: refreshToken ?? null };
  }

  function remember(result: GetValidTokenResult): GetValidTokenResult {
    if (result.ok) rememberSecret(result.token.accessToken);
    return result;
  }
  function token(result: GetValidTokenResult): ValidToken {
    if (!result.ok) return expect.fail(`no token: ${result.failure.code}`);
    return result;
  }
  function failure(result: GetValidTokenResult): TokenFailure {
    if (result.ok) return expect.fail(`a token (${result.obtained}) where a failure was expected`);
    return result.failure;
  }
  const storedAccessToken = async (key: ConnectionKey) =>
    (await decryptSecrets(keyring, (await core.store.get(key)) ?? expect.fail('missing'))).access_token;

  describe('hands out a token', () => {
    it('fresh: the stored token as it is, without calling the provider, and counts the read', async () => {
      const { key, accessToken } = await connection(3600);

      const result = token(await get(key));

      expect(result).toMatchObject({
        obtained: 'fresh',
        status: 'active',
        token: { accessToken, tokenType: 'Bearer', scope: 'openid offline_access' },
      });
      expect(result.token.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
      expect(double.requests.count).toBe(0);
      expect(reads).toEqual([key.connectionId]);
    });

    it('refreshed: a token that would not stay valid long enough is replaced by a new one, stored first', async () => {
      const { key, accessToken } = await connection(30);

      const result = token(await get(key));

      expect(result.obtained).toBe('refreshed');
      expect(result.token.accessToken).not.toBe(accessToken);
      expect(result.token.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
      expect(await storedAccessToken(key)).toBe(result.token.accessToken);
      expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
    });

    it('refreshed: a forced refresh replaces even a fresh token, once per call', async () => {
      const { key, accessToken } = await connection(3600);

      const first = token(await get(key, FORCE));
      const second = token(await get(key, FORCE));

      expect([first.obtained, second.obtained]).toEqual(['refreshed', 'refreshed']);
      expect(new Set([accessToken, first.token.accessToken, second.token.accessToken]).size).toBe(3);
      expect(oidc.stats()).toMatchObject({ refreshGrants: 2, invalidGrant: 0 });
    });

    it('refreshed_by_sibling: a call that finds another worker refreshing waits for it and hands out its token', async () => {
      const { key } = await connection(-10);
      // The other worker takes the lease and stops before calling the provider until let go.
      let atLease!: () => void;
      let letGo!: () => void;
      const leased = new Promise<void>((resolve) => {
        atLease = resolve;
      });
      const go = new Promise<void>((resolve) => {
        letGo = resolve;
      });
      const sibling = newCore({
        failpoints: async (name) => {
          if (name === 'after_lease') {
            atLease();
            await go;
          }
        },
      });
      const siblingRefresh = sibling.refresh(key, { trigger: 'forced' });
      await leased;
      // This worker's clock says when it starts waiting for the lease.
      let waiting!: () => void;
      const isWaiting = new Promise<void>((resolve) => {
        waiting = resolve;
      });
      const clock: Clock = {
        now: () => systemClock.now(),
        sleep: (ms) => {
          waiting();
          return systemClock.sleep(ms);
        },
      };
      const reader = newCore({ clock });

      const reading = get(key, READ, reader);
      await isWaiting;
      letGo();
      const [result, siblingResult] = await Promise.all([reading, siblingRefresh]);

      expect(siblingResult.outcome).toBe('refreshed');
      expect(token(result).obtained).toBe('refreshed_by_sibling');
      expect(token(result).token.accessToken).toBe(await storedAccessToken(key));
      expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
    });

    it('served_while_failing: while the provider is down, a token still valid is handed out marked failing', async () => {
      const { key, accessToken } = await connection(30);
      double.setMode({ mode: 'status', status: 503 });

      const result = token(await get(key));

      expect(result).toMatchObject({
        obtained: 'served_while_failing',
        status: 'failing',
        token: { accessToken },
      });
      expect(result.connection.status).toBe('failing');
      // Later reads during the backoff serve it too, without calling the provider again.
      expect(token(await get(key))).toMatchObject({
        obtained: 'served_while_failing',
        token: { accessToken },
      });
      expect(double.requests.count).toBe(1);
    });
  });

  describe('says why there is no token', () => {
    it('not_found: an unknown connection, not counted as a read', async () => {
      const key = { integrationId: 'oidc', connectionId: 'nobody' };

      expect(failure(await get(key))).toEqual({
        code: 'not_found',
        message: 'connection oidc/nobody not found',
      });
      expect(reads).toEqual([]);
    });

    it('needs_reauth: a revoked grant ends needing its user; later reads are refused without a provider call or a counted read', async () => {
      const { key, refreshToken } = await connection(-10);
      await oidc.revokeGrant(refreshToken ?? '');

      const first = failure(await get(key));
      reads = [];
      double.resetRequests();
      const again = failure(await get(key, FORCE));

      expect(first).toMatchObject({ code: 'needs_reauth', connection: { status: 'needs_reauth' } });
      expect(again).toMatchObject({ code: 'needs_reauth', connection: { status: 'needs_reauth' } });
      expect(double.requests.count).toBe(0);
      expect(reads).toEqual([]);
    });

    it('needs_reauth: an expired token without a refresh token ends needing its user', async () => {
      const { key } = await connection(-10, { refreshToken: false });

      expect(failure(await get(key))).toMatchObject({
        code: 'needs_reauth',
        connection: { status: 'needs_reauth' },
      });
      expect(double.requests.count).toBe(0);
    });

    it('no_refresh_token: a forced refresh without a refresh token is refused, the valid token is still handed out', async () => {
      const { key, accessToken } = await connection(3600, { refreshToken: false });

      expect(failure(await get(key, FORCE))).toMatchObject({
        code: 'no_refresh_token',
        connection: { status: 'active' },
      });
      expect(token(await get(key))).toMatchObject({ obtained: 'fresh', token: { accessToken } });
      expect(double.requests.count).toBe(0);
    });

    it('failing: the provider is down and the token has expired; it says when to come back', async () => {
      const { key } = await connection(-10);
      double.setMode({ mode: 'status', status: 503 });
      const before = Date.now();

      const result = failure(await get(key));

      expect(result).toMatchObject({
        code: 'failing',
        cause: { code: 'provider_unavailable' },
        connection: { status: 'failing' },
      });
      if (result.code !== 'failing') return;
      // The time until the backoff lets the next attempt run.
      const due = result.connection.nextRefreshAt ?? expect.fail('no next refresh');
      expect(result.retryAfterSeconds).toBeGreaterThanOrEqual(
        Math.max(1, Math.floor((due - Date.now()) / 1_000)),
      );
      expect(result.retryAfterSeconds).toBeLessThanOrEqual(Math.max(1, Math.ceil((due - before) / 1_000)));
    });

    it('failing: the provider’s Retry-After is what the caller is told, and reads during it make no provider call', async () => {
      const { key } = await connection(-10);
      double.once({ mode: 'status', status: 429, headers: { 'retry-after': '120' } });

      const first = failure(await get(key));
      const during = failure(await get(key));

      expect(first).toMatchObject({
        code: 'failing',
        cause: { code: 'rate_limited' },
        retryAfterSeconds: 120,
      });
      expect(during).toMatchObject({ code: 'failing', cause: { code: 'rate_limited' } });
      if (during.code === 'failing') expect(during.retryAfterSeconds).toBeGreaterThanOrEqual(119);
      expect(double.requests.count).toBe(1);
    });

    it('failing: an unusable answer carries the provider’s error', async () => {
      const { key } = await connection(-10);
      double.once({ mode: 'status', status: 200, body: { error: 'weird', token_type: 'Bearer' } });

      expect(failure(await get(key))).toMatchObject({ code: 'failing', cause: { code: 'invalid_response' } });
    });

    it('backing_off: a forced refresh while the provider’s Retry-After is in force makes no call and says until when', async () => {
      const { key } = await connection(-10);
      double.once({ mode: 'status', status: 429, headers: { 'retry-after': '120' } });
      expect(failure(await get(key, FORCE)).code).toBe('failing');
      double.resetRequests();

      const result = failure(await get(key, FORCE));

      expect(result).toMatchObject({ code: 'backing_off', connection: { status: 'failing' } });
      if (result.code !== 'backing_off') return;
      expect(result.retryAfterUntil).toBeGreaterThan(Date.now() + 110_000);
      expect(result.retryAfterSeconds).toBeGreaterThanOrEqual(
        Math.floor((result.retryAfterUntil - Date.now()) / 1_000),
      );
      expect(result.retryAfterSeconds).toBeLessThanOrEqual(120);
      expect(double.requests.count).toBe(0);
    });

    it('refresh_in_progress: another worker holds the refresh past the wait', async () => {
      const { key } = await connection(-10);
      await core.store.acquireLease(key, { owner: 'elsewhere', now: Date.now(), leaseMs: 60_000 });
      const impatient = newCore({ options: { waitForLeaseMs: 300 } });

      const result = failure(await get(key, READ, impatient));

      expect(result).toEqual({
        code: 'refresh_in_progress',
        message: `a refresh of oidc/${key.connectionId} is in progress`,
      });
      expect(double.requests.count).toBe(0);
    });
  });
});
