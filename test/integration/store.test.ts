import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConnectionStore } from '../../shared/adapters/aws/dynamodb/connections';
import { LeaseHeldError, NotFoundError, StaleFenceError } from '../../shared/errors';
import { fenceOf } from '../../shared/ports/store';
import { aConnectionKey, aNewConnection } from '../builders/connection';
import { javaAvailable, startDynamoDbLocal, startTestDynalite, type TestDynamo } from '../support/dynamo';

const NOW = 1_800_000_000_000;

// The same specification runs against dynalite (always) and AWS's DynamoDB Local (when Java is
// present), so behaviour that only one emulator gets right shows up as a failure.
const backends: Array<[string, () => Promise<TestDynamo>]> = [['dynalite', startTestDynalite]];
if (javaAvailable()) backends.push(['DynamoDB Local', startDynamoDbLocal]);

describe.each(backends)('DynamoConnectionStore on %s', (_name, start) => {
  let dynamo: TestDynamo;
  let store: DynamoConnectionStore;
  let table: string;

  beforeAll(async () => {
    dynamo = await start();
    table = await dynamo.newTable();
    store = new DynamoConnectionStore(dynamo.client, { tableName: table });
  }, 60_000);
  afterAll(async () => dynamo?.close());

  it('creates a connection once and refuses a second create of the same key', async () => {
    const key = aConnectionKey();
    const created = await store.put(key, null, aNewConnection(), NOW);
    expect(created).toMatchObject({ ...key, status: 'active', version: 1, credentialGeneration: 1 });
    expect(created.metadata).toEqual({ customer: 'acme' });
    await expect(store.put(key, null, aNewConnection(), NOW)).rejects.toBeInstanceOf(StaleFenceError);
  });

  it('grants the lease to one worker at a time and bumps the fence', async () => {
    const key = aConnectionKey();
    await store.put(key, null, aNewConnection(), NOW);
    const leased = await store.acquireLease(key, { owner: 'a', now: NOW, leaseMs: 30_000 });
    expect(leased.version).toBe(2);
    expect(leased.leaseOwner).toBe('a');
    const second = store.acquireLease(key, { owner: 'b', now: NOW + 1_000, leaseMs: 30_000 });
    await expect(second).rejects.toBeInstanceOf(LeaseHeldError);
    await expect(second).rejects.toMatchObject({ leaseUntil: NOW + 30_000 });
  });

  it('lets another worker take an expired lease, after which the first worker cannot commit', async () => {
    const key = aConnectionKey();
    await store.put(key, null, aNewConnection(), NOW);
    const paused = await store.acquireLease(key, { owner: 'paused', now: NOW, leaseMs: 30_000 });
    const takeover = await store.acquireLease(key, { owner: 'b', now: NOW + 31_000, leaseMs: 30_000 });
    expect(takeover.version).toBe(paused.version + 1);

    const late = store.commit(
      key,
      fenceOf(paused),
      { ...aNewConnection({ secretsCiphertext: new Uint8Array([9]) }) },
      NOW + 40_000,
    );
    await expect(late).rejects.toBeInstanceOf(StaleFenceError);
    const after = await store.get(key);
    expect(Array.from(after?.secretsCiphertext ?? [])).toEqual([1, 2, 3, 4]);
    expect(after?.leaseOwner).toBe('b');
  });

  it('commits under a current fence: releases the lease, bumps version and credential generation', async () => {
    const key = aConnectionKey();
    await store.put(key, null, aNewConnection(), NOW);
    const leased = await store.acquireLease(key, { owner: 'a', now: NOW, leaseMs: 30_000 });
    const committed = await store.commit(
      key,
      fenceOf(leased),
      aNewConnection({ secretsCiphertext: new Uint8Array([7, 7]), nextRefreshAt: NOW + 60_000 }),
      NOW + 1_000,
    );
    expect(committed).toMatchObject({
      version: leased.version + 1,
      credentialGeneration: 2,
      leaseUntil: null,
    });
    expect(Array.from(committed.secretsCiphertext)).toEqual([7, 7]);
    expect(committed.nextRefreshAt).toBe(NOW + 60_000);
  });

  it('a commit without new secrets keeps the credential generation', async () => {
    const key = aConnectionKey();
    await store.put(key, null, aNewConnection(), NOW);
    const leased = await store.acquireLease(key, { owner: 'a', now: NOW, leaseMs: 30_000 });
    const { secretsCiphertext: _omit, ...rest } = aNewConnection({
      status: 'failing',
      consecutiveFailures: 1,
    });
    const committed = await store.commit(key, fenceOf(leased), rest, NOW + 1);
    expect(committed).toMatchObject({ status: 'failing', consecutiveFailures: 1, credentialGeneration: 1 });
  });

  it('takes a connection out of the due index when it has no next refresh', async () => {
    const key = aConnectionKey();
    await store.put(key, null, aNewConnection(), NOW);
    const leased = await store.acquireLease(key, { owner: 'a', now: NOW, leaseMs: 30_000 });
    await store.commit(
      key,
      fenceOf(leased),
      aNewConnection({ status: 'needs_reauth', nextRefreshAt: null }),
      NOW,
    );
    const items = await dynamo.client.send(new ScanCommand({ TableName: table, IndexName: 'due-index' }));
    const keys = (items.Items ?? []).map((item) => item.sk?.S);
    expect(keys).not.toContain(`C#${key.connectionId}`);
    expect((await store.get(key))?.nextRefreshAt).toBeNull();
  });

  it('appends events to the outbox in the commit and removes only the published ones', async () => {
    const key = aConnectionKey();
    const event = (id: string) => ({
      id,
      body: {
        type: 'connection.refresh_failed' as const,
        timestamp: new Date(NOW).toISOString(),
        data: {
          integration_id: key.integrationId,
          connection_id: key.connectionId,
          provider: 'custom',
          status: 'failing' as const,
          consecutive_failures: 1,
          access_token_expires_at: null,
          error: null,
        },
      },
    });
    await store.put(key, null, aNewConnection({ events: [event('evt_aaaaaaaaaaaa')] }), NOW);
    const leased = await store.acquireLease(key, { owner: 'a', now: NOW, leaseMs: 30_000 });
    const committed = await store.commit(
      key,
      fenceOf(leased),
      aNewConnection({ events: [event('evt_bbbbbbbbbbbb')] }),
      NOW,
    );
    expect(committed.outbox.map((e) => e.id)).toEqual(['evt_aaaaaaaaaaaa', 'evt_bbbbbbbbbbbb']);
    await store.removeOutboxEvents(key, ['evt_aaaaaaaaaaaa']);
    expect((await store.get(key))?.outbox.map((e) => e.id)).toEqual(['evt_bbbbbbbbbbbb']);

    // Several at once, the outbox emptied: nothing left behind (the index shift of one-by-one removal).
    const again = await store.acquireLease(key, { owner: 'a', now: NOW, leaseMs: 30_000 });
    await store.commit(
      key,
      fenceOf(again),
      aNewConnection({ events: [event('evt_cccccccccccc'), event('evt_dddddddddddd')] }),
      NOW,
    );
    await store.removeOutboxEvents(key, ['evt_bbbbbbbbbbbb', 'evt_cccccccccccc', 'evt_dddddddddddd']);
    expect((await store.get(key))?.outbox).toEqual([]);
  });

  it('reports a missing connection as not found when leasing', async () => {
    await expect(
      store.acquireLease(aConnectionKey(), { owner: 'a', now: NOW, leaseMs: 1 }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('a stale release does not free a lease someone else holds', async () => {
    const key = aConnectionKey();
    await store.put(key, null, aNewConnection(), NOW);
    const first = await store.acquireLease(key, { owner: 'a', now: NOW, leaseMs: 10 });
    await store.acquireLease(key, { owner: 'b', now: NOW + 20, leaseMs: 30_000 });
    await store.releaseLease(key, fenceOf(first));
    expect((await store.get(key))?.leaseOwner).toBe('b');
  });
});
