import { randomBytes } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { A } from '../../shared/adapters/aws/dynamodb/codec';
import { connectionSk, integrationPk } from '../../shared/adapters/aws/dynamodb/table';
import { LocalDataKeyProvider } from '../../shared/adapters/local/keyring';
import type { ConnectionKey } from '../../shared/domain/ids';
import { ServiceError, StaleFenceError } from '../../shared/errors';
import { EnvelopeKeyring } from '../../shared/keyring/envelope-keyring';
import { MAX_RETRY_AFTER_SECONDS, MAX_TOKEN_LIFETIME_SECONDS } from '../../shared/policy/limits';
import { fenceOf } from '../../shared/ports/store';
import type { Failpoints } from '../../shared/refresh/failpoints';
import { retryHeldConnections } from '../../shared/refresh/retry-held';
import { decryptSecrets } from '../../shared/refresh/secrets';
import { ManualClock } from '../support/clock';
import { type Core, createCore, RecordingPublisher } from '../support/core';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';
import { useTestTable } from '../support/test-table';

const LEASE_MS = 8_000;
const DAY_MS = 86_400_000;

/**
 * Regression tests for the ways a grant could be lost or a connection broken that were found by
 * adversarial review (reliability.md promises 21–27). Each fails on the code before its fix.
 * Real dynalite, real HTTP to a scriptable provider double, the real envelope keyring.
 */
describe('grant safety', () => {
  const db = useTestTable();
  let double: ProviderDouble;
  const clock = new ManualClock();
  /** The keyring's own clock: moving it ages the cached data key without moving the service's. */
  const keyClock = new ManualClock();
  let generateFails = false;
  const provider = new LocalDataKeyProvider(randomBytes(32));
  const keyring = new EnvelopeKeyring(
    {
      providerId: provider.providerId,
      generateDataKey: async () => {
        if (generateFails) throw new ServiceError('keyring_unavailable', 'KMS GenerateDataKey throttled');
        return provider.generateDataKey();
      },
      unwrapDataKey: (wrapped) => provider.unwrapDataKey(wrapped),
    },
    { now: () => keyClock.now() },
  );
  let publisher: RecordingPublisher;
  let core: Core;
  let failpoint: Failpoints | undefined;

  const makeCore = (overrides: Partial<Parameters<typeof createCore>[0]> = {}) =>
    createCore({
      ...db,
      keyring,
      clock,
      publisher,
      options: { providerTimeoutMs: 1_000, commitBudgetMs: 1_000, leaseMs: LEASE_MS },
      failpoints: (name) => failpoint?.(name),
      ...overrides,
    });

  beforeAll(async () => {
    double = await startProviderDouble({ now: () => clock.now() });
    publisher = new RecordingPublisher();
    const setup = makeCore();
    const base = { provider: 'custom', client_id: 'client-1', token_url: double.url } as const;
    await setup.putIntegration(
      'strict',
      { ...base, rotates_refresh_token: true, reuse_grace_seconds: 0 },
      'secret-strict-1',
    );
    await setup.putIntegration('static', { ...base, rotates_refresh_token: false }, 'secret-static-1');
    await setup.putIntegration(
      'short-horizon',
      { ...base, rotates_refresh_token: true, refresh: { retry_horizon_seconds: 3_600 } },
      'secret-horizon-1',
    );
  });
  afterAll(async () => {
    await double?.close();
  });
  beforeEach(() => {
    publisher = new RecordingPublisher();
    failpoint = undefined;
    generateFails = false;
    core = makeCore();
    double.setMode('strict_local');
    double.resetRequests();
  });

  async function connection(
    integrationId: string,
    input: { expiresAt?: number; refreshToken?: string | null } = {},
  ): Promise<{ key: ConnectionKey; refreshToken: string | null }> {
    const refreshToken = input.refreshToken === undefined ? double.mintFamily() : input.refreshToken;
    rememberSecret(refreshToken);
    const key = { integrationId, connectionId: `c-${randomBytes(4).toString('hex')}` };
    await core.importConnection(key, { refreshToken, expiresAt: input.expiresAt ?? clock.now() + 3_600_000 });
    return { key, refreshToken };
  }
  const stored = async (key: ConnectionKey) => {
    const c = await core.store.get(key);
    if (c === null) throw new Error('missing');
    return c;
  };
  const secretsOf = async (key: ConnectionKey) => {
    const s = await decryptSecrets(keyring, await stored(key));
    rememberSecret(s.access_token, s.refresh_token);
    return s;
  };

  it('a KMS throttle after the provider answered cannot cost a strict grant: the data key is in hand before the call', async () => {
    const { key, refreshToken } = await connection('strict');
    // Between the answer and the commit the cached data key ages out and KMS throttles.
    failpoint = (name) => {
      if (name === 'after_provider_answer') {
        keyClock.advance(10 * 60_000);
        generateFails = true;
      }
    };

    const result = await core.refresh(key, { trigger: 'forced' });

    expect(result.outcome).toBe('refreshed');
    const family = double.family(refreshToken ?? '');
    const after = await secretsOf(key);
    expect(after.refresh_token).toBe(family?.current);
    expect(family?.revoked).toBe(false);
    // The stored (rotated) token works: the next refresh is accepted, the grant is intact.
    failpoint = undefined;
    generateFails = false;
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');
    expect(double.family(refreshToken ?? '')?.revoked).toBe(false);
    expect(double.localStats.invalidGrant).toBe(0);
  });

  it('a cold keyring that cannot get a data key fails before the refresh token is presented', async () => {
    const { key, refreshToken } = await connection('strict');
    keyClock.advance(10 * 60_000);
    generateFails = true;

    await expect(core.refresh(key, { trigger: 'forced' })).rejects.toMatchObject({
      code: 'keyring_unavailable',
    });

    expect(double.requests.count).toBe(0);
    const c = await stored(key);
    expect(c.leaseUntil).toBeNull(); // given back
    expect((await secretsOf(key)).refresh_token).toBe(refreshToken);
  });

  it('absurd provider times are clamped: the commit lands, events build, the connection stays readable', async () => {
    const { key } = await connection('static');
    double.once({ mode: 'status', status: 503 });
    await core.refresh(key, { trigger: 'forced' });
    expect((await stored(key)).status).toBe('failing');

    for (const expiresIn of [1e13, 1e200]) {
      double.once({
        mode: 'status',
        status: 200,
        body: { access_token: `at-${expiresIn}`, expires_in: expiresIn },
      });
      rememberSecret(`at-${expiresIn}`);
      const result = await core.refresh(key, { trigger: 'forced' });
      expect(result.outcome).toBe('refreshed');
      const c = await stored(key);
      expect(c.status).toBe('active');
      expect(c.accessTokenExpiresAt).toBe(clock.now() + MAX_TOKEN_LIFETIME_SECONDS * 1000);
      expect((await secretsOf(key)).access_token).toBe(`at-${expiresIn}`);
    }
    // The failing → active transition built its event despite the absurd expiry.
    expect(publisher.types()).toEqual(['connection.refresh_failed', 'connection.recovered']);

    double.once({ mode: 'status', status: 429, headers: { 'retry-after': '10000000000000' } });
    const limited = await core.refresh(key, { trigger: 'forced' });
    expect(limited.outcome).toBe('failed');
    const c = await stored(key);
    expect(c.retryAfterUntil).toBe(clock.now() + MAX_RETRY_AFTER_SECONDS * 1000);
    expect(c.nextRefreshAt).toBeGreaterThanOrEqual(clock.now() + MAX_RETRY_AFTER_SECONDS * 1000);
    expect(c.nextRefreshAt).toBeLessThan(clock.now() + 2 * DAY_MS);
    expect(c.lastError?.message).toContain('clamped');
  });

  it('an absurd JWT exp is clamped, and an item holding an unsafe number stays readable', async () => {
    const jwt = [{ alg: 'none' }, { exp: 1e13 }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .concat('sig')
      .join('.');
    const { key } = await connection('static');
    double.once({ mode: 'status', status: 200, body: { access_token: jwt } });
    rememberSecret(jwt);
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');
    expect((await stored(key)).accessTokenExpiresAt).toBe(clock.now() + MAX_TOKEN_LIFETIME_SECONDS * 1000);

    // An item written before clamping existed, with a time above 2^53: still decodes.
    const raw = await db.dynamo.client.send(
      new PutItemCommand({
        TableName: db.table,
        Item: {
          pk: { S: integrationPk('static') },
          sk: { S: connectionSk('legacy-huge') },
          [A.provider]: { S: 'custom' },
          [A.status]: { S: 'active' },
          [A.version]: { N: '1' },
          [A.credentialGeneration]: { N: '1' },
          [A.secrets]: { B: new Uint8Array([1]) },
          [A.expiresAt]: { N: '10000000000000000000' },
          [A.createdAt]: { N: String(clock.now()) },
          [A.updatedAt]: { N: String(clock.now()) },
        },
      }),
    );
    expect(raw.$metadata.httpStatusCode).toBe(200);
    const legacy = await core.store.get({ integrationId: 'static', connectionId: 'legacy-huge' });
    expect(legacy?.accessTokenExpiresAt).toBe(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  });

  it("a ciphertext copied from one connection's item into another's fails to decrypt; no provider call", async () => {
    const a = await connection('static');
    const b = await connection('static');
    const itemA = await db.dynamo.client.send(
      new GetItemCommand({
        TableName: db.table,
        Key: { pk: { S: integrationPk('static') }, sk: { S: connectionSk(a.key.connectionId) } },
      }),
    );
    const stolen = itemA.Item?.[A.secrets];
    expect(stolen?.B?.length).toBeGreaterThan(0);
    await db.dynamo.client.send(
      new UpdateItemCommand({
        TableName: db.table,
        Key: { pk: { S: integrationPk('static') }, sk: { S: connectionSk(b.key.connectionId) } },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': A.secrets },
        ExpressionAttributeValues: { ':s': stolen ?? { B: new Uint8Array() } },
      }),
    );

    await expect(core.refresh(b.key, { trigger: 'forced' })).rejects.toMatchObject({
      code: 'decrypt_failed',
    });
    await expect(decryptSecrets(keyring, await stored(b.key))).rejects.toMatchObject({
      code: 'decrypt_failed',
    });
    expect(double.requests.count).toBe(0);
    expect((await stored(b.key)).leaseUntil).toBeNull();
    // A itself is untouched and still works.
    expect((await core.refresh(a.key, { trigger: 'forced' })).outcome).toBe('refreshed');
  });

  it('a worker that leased a deleted connection cannot commit over the re-created one, even at the same version', async () => {
    const { key } = await connection('static');
    const stale = await core.store.acquireLease(key, {
      owner: 'old-worker',
      now: clock.now(),
      leaseMs: LEASE_MS,
    });
    await core.store.delete(key);
    const fresh = await connection('static', {});
    // Re-create under the same key and bring its version to the stale fence's.
    await core.store.delete(fresh.key);
    const recreated = await core.importConnection(key, {
      refreshToken: 'rt-new-grant-0001',
      accessToken: 'at-new-grant-0001',
    });
    let current = recreated.connection;
    while (current.version < stale.version) {
      const l = await core.store.acquireLease(key, { owner: 'other', now: clock.now(), leaseMs: 1 });
      await core.store.releaseLease(key, fenceOf(l));
      current = await stored(key);
    }
    expect(current.version).toBe(stale.version);
    expect(current.incarnation).not.toBe(stale.incarnation);

    const late = core.store.commit(
      key,
      fenceOf(stale),
      {
        status: 'active',
        secretsCiphertext: new Uint8Array([9, 9]),
        nextRefreshAt: null,
        consecutiveFailures: 0,
        failingSince: null,
        lastError: null,
        events: [],
      },
      clock.now(),
    );
    await expect(late).rejects.toBeInstanceOf(StaleFenceError);
    expect((await secretsOf(key)).refresh_token).toBe('rt-new-grant-0001');
  });

  it('a commit whose response was lost is recognised as landed when the SDK retry meets the fence', async () => {
    // A DynamoDB client that applies the commit, then loses its answer (a retryable error), so the
    // SDK's own retry sends it again and gets a conditional-check failure.
    const lossy = new DynamoDBClient({
      endpoint: db.dynamo.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 3,
    });
    let lose = 0;
    lossy.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const input = args.input as { ExpressionAttributeNames?: Record<string, string> };
        const names = Object.values(input.ExpressionAttributeNames ?? {});
        if (lose > 0 && names.includes('commit_id')) {
          lose -= 1;
          throw Object.assign(new Error('socket hang up after the write'), {
            name: 'TimeoutError',
            $retryable: {},
            $metadata: {},
          });
        }
        return result;
      },
      { step: 'deserialize', name: 'loseCommitAnswer' },
    );
    const lossyCore = makeCore({ dynamo: { ...db.dynamo, client: lossy } });
    const { key, refreshToken } = await connection('strict');
    lose = 1;

    const result = await lossyCore.refresh(key, { trigger: 'forced' });

    expect(lose).toBe(0);
    expect(result.outcome).toBe('refreshed');
    const after = await secretsOf(key);
    expect(after.refresh_token).toBe(double.family(refreshToken ?? '')?.current);
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');
    expect(double.localStats.invalidGrant).toBe(0);
    lossy.destroy();
  });

  it('a misconfigured client never ends in needs_reauth; fixing the secret brings the connection back', async () => {
    const { key } = await connection('short-horizon');
    double.setMode({ mode: 'status', status: 401, body: { error: 'invalid_client' } });
    for (let i = 0; i < 6; i++) {
      await core.refresh(key, { trigger: 'forced' });
      clock.advance(30 * 60_000); // past the 1-hour horizon after three
    }
    let c = await stored(key);
    expect(c.status).toBe('failing');
    expect(c.lastError?.code).toBe('client_misconfigured');
    expect(c.nextRefreshAt).not.toBeNull();
    expect(publisher.types()).toEqual(['connection.refresh_failed']);

    // The admin fixes the secret; the held connection is due now and the next scheduled run recovers it.
    double.setMode('strict_local');
    await core.putIntegration(
      'short-horizon',
      {
        provider: 'custom',
        client_id: 'client-1',
        token_url: double.url,
        rotates_refresh_token: true,
        refresh: { retry_horizon_seconds: 3_600 },
      },
      'secret-horizon-2',
    );
    expect(await retryHeldConnections(core.deps, [await stored(key)])).toBe(1);
    c = await stored(key);
    expect(c.nextRefreshAt).toBeLessThanOrEqual(clock.now());
    const result = await core.refresh(key, { trigger: 'scheduled' });
    expect(result.outcome).toBe('refreshed');
    expect((await stored(key)).status).toBe('active');
    expect(publisher.types()).toEqual(['connection.refresh_failed', 'connection.recovered']);
  });

  it('a connection without a refresh token is never refreshed: forced answers no_refresh_token, it stays active until expiry, then needs its user once', async () => {
    const expiresAt = clock.now() + 3_600_000;
    const { key } = await connection('static', { refreshToken: null, expiresAt });
    let c = await stored(key);
    expect(c.hasRefreshToken).toBe(false);
    expect(c.nextRefreshAt).toBe(expiresAt); // due only to hand it to its user at expiry

    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('no_refresh_token');
    expect((await core.refresh(key, { trigger: 'scheduled' })).outcome).toBe('not_needed');
    expect((await stored(key)).status).toBe('active');
    clock.advance(DAY_MS / 2); // the access token has expired now
    expect(double.requests.count).toBe(0);

    const expired = await core.refresh(key, { trigger: 'scheduled' });
    expect(expired.outcome).toBe('needs_reauth');
    c = await stored(key);
    expect(c.status).toBe('needs_reauth');
    expect(c.nextRefreshAt).toBeNull();
    await core.refresh(key, { trigger: 'scheduled' });
    expect(publisher.types()).toEqual(['connection.reauth_required']);
    expect(double.requests.count).toBe(0);
  });

  it('an import or reconnect without a refresh token keeps the stored one while it is good', async () => {
    const { key, refreshToken } = await connection('static');
    await core.importConnection(key, {
      accessToken: 'at-second-import-1',
      expiresAt: clock.now() + 3_600_000,
    });
    expect((await secretsOf(key)).refresh_token).toBe(refreshToken);
    expect((await stored(key)).hasRefreshToken).toBe(true);
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');

    // Explicit null: the caller says there is none.
    await core.importConnection(key, { accessToken: 'at-third-import-1', refreshToken: null });
    expect((await secretsOf(key)).refresh_token).toBeNull();

    // A grant the provider rejected is not kept.
    const revoked = await connection('static');
    double.once({ mode: 'status', status: 400, body: { error: 'invalid_grant' } });
    await core.refresh(revoked.key, { trigger: 'forced' });
    expect((await stored(revoked.key)).status).toBe('needs_reauth');
    await core.importConnection(revoked.key, { accessToken: 'at-after-revoke-1' });
    expect((await secretsOf(revoked.key)).refresh_token).toBeNull();
  });

  it('an import without a refresh token never cuts into a refresh in flight (found by the torture suite)', async () => {
    const { key, refreshToken } = await connection('strict');
    let importing: Promise<unknown> | undefined;
    failpoint = async (name) => {
      if (name !== 'after_lease' || importing !== undefined) return;
      // The refresh holds its lease; an import that keeps the stored refresh token arrives now.
      importing = core.importConnection(key, {
        accessToken: 'at-racing-import-1',
        expiresAt: clock.now() + 3_600_000,
      });
      await Promise.race([importing, new Promise((resolve) => setTimeout(resolve, 200))]);
    };
    await core.refresh(key, { trigger: 'forced' }).catch(() => undefined);
    await importing;
    failpoint = undefined;

    // Whichever went first, the stored refresh token is the provider's current one: the grant lives.
    expect((await secretsOf(key)).refresh_token).toBe(double.family(refreshToken ?? '')?.current);
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');
    expect(double.family(refreshToken ?? '')?.revoked).toBe(false);
    expect(double.localStats.invalidGrant).toBe(0);
  });

  it('a forced refresh during backoff calls the provider; only a Retry-After in force stops it', async () => {
    const { key } = await connection('static');
    double.once({ mode: 'status', status: 503 });
    await core.refresh(key, { trigger: 'forced' });
    const failing = await stored(key);
    expect(failing.status).toBe('failing');
    expect(failing.nextRefreshAt).toBeGreaterThan(clock.now());

    const now = await core.refresh(key, { trigger: 'forced' });
    expect(now.outcome).toBe('refreshed');
    expect(double.requests.count).toBe(2);

    double.once({ mode: 'status', status: 429, headers: { 'retry-after': '30' } });
    await core.refresh(key, { trigger: 'forced' });
    const held = await core.refresh(key, { trigger: 'forced' });
    expect(held.outcome).toBe('backing_off');
    expect(held.outcome === 'backing_off' ? held.retryAfterUntil : undefined).toBe(clock.now() + 30_000);
    expect(double.requests.count).toBe(3);
    clock.advance(30_001);
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');
  });
});
