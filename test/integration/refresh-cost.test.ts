import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConnectionStore } from '../../shared/adapters/aws/dynamodb/connections';
import { createKmsKeyring } from '../../shared/adapters/aws/kms';
import { fenceOf } from '../../shared/ports/store';
import { createCore } from '../support/core';
import { startTestDynalite, type TestDynamo } from '../support/dynamo';
import { type OidcHarness, startOidcProvider } from '../support/oidc';

// What one scheduled refresh costs, counted (design.md "Cost model"): DynamoDB operations and
// capacity from ConsumedCapacity, KMS calls through the real SDK against a fake at its boundary.
describe('the cost of one scheduled refresh', () => {
  let dynamo: TestDynamo;
  let oidc: OidcHarness;
  const kms = mockClient(KMSClient);
  const kmsCalls = { generate: 0, decrypt: 0 };

  beforeAll(async () => {
    [dynamo, oidc] = await Promise.all([startTestDynalite(), startOidcProvider({ rotation: 'strict' })]);
    const wrapped = new Map<string, Uint8Array>();
    kms.on(GenerateDataKeyCommand).callsFake(() => {
      kmsCalls.generate++;
      const plaintext = randomBytes(32);
      const blob = randomBytes(48);
      // Like the real service, every answer is a buffer of its own (the keyring wipes what it drops).
      wrapped.set(blob.toString('hex'), Uint8Array.from(plaintext));
      return { Plaintext: Uint8Array.from(plaintext), CiphertextBlob: blob, KeyId: 'key-1' };
    });
    kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array }) => {
      kmsCalls.decrypt++;
      const key = wrapped.get(Buffer.from(input.CiphertextBlob).toString('hex'));
      return { Plaintext: key === undefined ? undefined : Uint8Array.from(key), KeyId: 'key-1' };
    });
  });
  afterAll(async () => {
    kms.restore();
    await Promise.all([dynamo?.close(), oidc?.close()]);
  });

  it('makes 2 DynamoDB writes (lease, commit), no read, and no KMS call on a warm cache', async () => {
    const table = await dynamo.newTable();
    const keyring = createKmsKeyring(new KMSClient({ region: 'us-east-1' }), 'key-1');
    const core = createCore({ dynamo, table, keyring });
    const client = oidc.clients[0] ?? { id: '', secret: '' };
    await core.putIntegration('acme', ...oidc.integration());
    const keys = Array.from({ length: 20 }, (_, i) => ({ integrationId: 'acme', connectionId: `u-${i}` }));
    for (const key of keys) {
      await core.importConnection(key, {
        refreshToken: await oidc.mintRefreshToken({ clientId: client.id }),
      });
    }
    // Warm: one refresh so the integration and the data keys are cached in this "process".
    const [first, ...rest] = keys;
    if (first === undefined) throw new Error('no keys');
    await core.refresh(first, { trigger: 'forced' });

    const ops: Record<string, { calls: number; units: number }> = {};
    const counting = new DynamoConnectionStore(dynamo.client, {
      tableName: table,
      onConsumedCapacity: (operation, units) => {
        const op = ops[operation] ?? { calls: 0, units: 0 };
        ops[operation] = op;
        op.calls++;
        op.units += units;
      },
    });
    const measured = createCore({ dynamo, table, keyring });
    Object.assign(measured.deps, { store: counting, integrations: core.integrations });
    kmsCalls.generate = 0;
    kmsCalls.decrypt = 0;
    const now = Date.now();
    for (const key of rest) {
      // Make each due, as the scheduler would find it.
      const c = await core.store.acquireLease(key, { owner: 'setup', now, leaseMs: 1 });
      const { secretsCiphertext: _s, ...state } = c;
      await core.store.commit(
        key,
        fenceOf(c),
        { ...state, hasRefreshToken: true, lastRefreshAt: now, nextRefreshAt: now - 1, events: [] },
        now,
      );
    }

    for (const key of rest)
      expect((await measured.refresh(key, { trigger: 'scheduled' })).outcome).toBe('refreshed');

    const n = rest.length;
    expect(ops.Lease?.calls).toBe(n);
    expect(ops.Commit?.calls).toBe(n);
    expect(ops.GetItem).toBeUndefined();
    expect(kmsCalls).toEqual({ generate: 0, decrypt: 0 });
    // Items stay small: one write unit each for the base table (dynalite reports table capacity).
    expect(((ops.Lease?.units ?? 0) + (ops.Commit?.units ?? 0)) / n).toBeLessThanOrEqual(2);
  });
});
