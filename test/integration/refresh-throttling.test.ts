import { randomBytes } from 'node:crypto';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConnectionStore } from '../../shared/adapters/aws/dynamodb/connections';
import { createLocalKeyring } from '../../shared/adapters/local/keyring';
import type { ConnectionKey } from '../../shared/domain/ids';
import { decryptSecrets } from '../../shared/refresh/secrets';
import { createCore } from '../support/core';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { rememberSecret } from '../support/secrets';
import { useTestTable } from '../support/test-table';

/**
 * A DynamoDB client whose calls fail with throttling at a given rate, injected as SDK middleware
 * (reliability.md promise 18). `before` fails the request unsent; `after` lets DynamoDB apply it
 * and loses the response — the nastier case for a conditional commit.
 */
function throttlingClient(endpoint: string, rate: () => number): DynamoDBClient {
  const client = new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const throttle = () =>
    new ProvisionedThroughputExceededException({ message: 'injected throttling', $metadata: {} });
  client.middlewareStack.add(
    (next) => async (args) => {
      const r = Math.random();
      if (r < rate() / 2) throw throttle();
      const result = await next(args);
      if (r < rate()) throw throttle();
      return result;
    },
    { step: 'finalizeRequest', name: 'injectThrottling' },
  );
  return client;
}

describe('refreshConnection under injected DynamoDB throttling', () => {
  const db = useTestTable();
  let oidc: OidcHarness;
  let rate = 0;

  beforeAll(async () => {
    oidc = await startOidcProvider({ rotation: 'strict' });
  });
  afterAll(async () => {
    await oidc?.close();
  });

  it('no connection ends inconsistent: every one still refreshes afterwards, versions only grew, no invalid_grant', async () => {
    const keyring = createLocalKeyring(randomBytes(32));
    const setup = createCore({ ...db, keyring });
    const client = oidc.clients[0] ?? { id: '', secret: '' };
    await setup.putIntegration('acme', ...oidc.integration());
    const keys: ConnectionKey[] = [];
    for (let i = 0; i < 20; i++) {
      const key = { integrationId: 'acme', connectionId: `t-${i}` };
      await setup.importConnection(key, {
        refreshToken: await oidc.mintRefreshToken({ clientId: client.id }),
      });
      keys.push(key);
    }
    const versions = new Map(keys.map((k) => [k.connectionId, 0]));

    const flaky = createCore({
      ...db,
      keyring,
      options: { leaseMs: 3_500, providerTimeoutMs: 1_000, commitBudgetMs: 1_000 },
    });
    Object.assign(flaky.deps, {
      store: new DynamoConnectionStore(
        throttlingClient(db.dynamo.endpoint, () => rate),
        { tableName: db.table },
      ),
      integrations: setup.integrations,
    });
    rate = 0.3;
    let errors = 0;
    for (let round = 0; round < 3; round++) {
      const results = await Promise.allSettled(keys.map((key) => flaky.refresh(key, { trigger: 'forced' })));
      errors += results.filter((r) => r.status === 'rejected').length;
      for (const key of keys) {
        const stored = await setup.store.get(key);
        const before = versions.get(key.connectionId) ?? 0;
        expect(stored?.version).toBeGreaterThanOrEqual(before);
        versions.set(key.connectionId, stored?.version ?? 0);
      }
      // A stale lease left by a throttled worker is free again after the lease duration.
      await new Promise((resolve) => setTimeout(resolve, 3_600));
    }
    rate = 0;
    expect(errors).toBeGreaterThan(0);

    // Without throttling, every connection refreshes: its stored refresh token is the live one.
    const settle = await Promise.all(keys.map((key) => setup.refresh(key, { trigger: 'forced' })));
    expect(settle.map((r) => r.outcome)).toEqual(keys.map(() => 'refreshed'));
    expect(oidc.stats().invalidGrant).toBe(0);
    for (const key of keys) {
      const stored = await setup.store.get(key);
      expect(stored).toMatchObject({ status: 'active', leaseUntil: null });
      if (stored) {
        const secrets = await decryptSecrets(keyring, stored);
        rememberSecret(secrets.access_token, secrets.refresh_token);
      }
    }
  }, 60_000);
});
