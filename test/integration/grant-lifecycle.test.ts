import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoHistoryStore } from '../../shared/adapters/aws/dynamodb/history';
import { DynamoConnectionListing } from '../../shared/adapters/aws/dynamodb/listing';
import { connectionView } from '../../shared/api/views';
import type { ConnectionKey } from '../../shared/domain/ids';
import { importCredentials } from '../../shared/refresh/import-credentials';
import { ManualClock } from '../support/clock';
import { type Core, createCore, RecordingPublisher } from '../support/core';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';
import { useTestTable } from '../support/test-table';

const DAY_MS = 86_400_000;
/** oidc-provider's refresh-token and grant lifetime, and the integration's grant lifetime. */
const GRANT_SECONDS = 14 * 86_400;
const LEAD_SECONDS = 7 * 86_400;

/**
 * api.md v1.1 grant lifecycle against oidc-provider (strict rotation): `connection.reauth_due` once
 * per grant at the lead time before `reauth_due_at`, never again after rotations, and a reconnect
 * starts a new grant with its own clock. The service's clock is a manual one moved ahead; the
 * provider's tokens live on real time, so every refresh here is a real rotation.
 */
describe('grant lifecycle (reauth_due)', () => {
  const db = useTestTable();
  let oidc: OidcHarness;
  let core: Core;
  let history: DynamoHistoryStore;
  const clock = new ManualClock(Date.now());
  const publisher = new RecordingPublisher();
  const key: ConnectionKey = { integrationId: 'oidc-life', connectionId: 'user-1' };
  const reauthDue = () => publisher.events.filter((e) => e.body.type === 'connection.reauth_due');

  beforeAll(async () => {
    oidc = await startOidcProvider({ rotation: 'strict', refreshTokenTtlSeconds: GRANT_SECONDS });
    core = createCore({ ...db, clock, publisher });
    history = new DynamoHistoryStore(db.dynamo.client, { tableName: db.table });
    await core.putIntegration(
      key.integrationId,
      ...oidc.integration({
        refresh: {
          grant_lifetime_seconds: GRANT_SECONDS,
          reauth_lead_seconds: LEAD_SECONDS,
          margin_seconds: 300,
        },
      }),
    );
  });
  afterAll(async () => {
    await oidc?.close();
  });

  const mint = async () => {
    const client = oidc.clients[0];
    if (client === undefined) throw new Error('no client');
    const token = await oidc.mintRefreshToken({ clientId: client.id });
    rememberSecret(token);
    return token;
  };

  it('warns once at the lead time, not after rotations, and a reconnect starts a new clock', async () => {
    const authorizedAt = clock.now();
    const imported = await core.importConnection(key, { refreshToken: await mint() });
    const reauthAt = authorizedAt + GRANT_SECONDS * 1000;
    expect(imported.connection.reauthDueAt).toBe(reauthAt);
    const warnAt = reauthAt - LEAD_SECONDS * 1000;
    // The scan is woken at the warning instant at the latest.
    expect(imported.connection.nextRefreshAt).not.toBeNull();
    expect(imported.connection.nextRefreshAt ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(warnAt);

    // Before the lead: rotations, no warning.
    const early = await core.refresh(key, { trigger: 'forced' });
    expect(early.outcome).toBe('refreshed');
    expect(reauthDue()).toHaveLength(0);

    // Keep-alive refreshes up to the lead time, each a rotation; the due time never passes the warning.
    for (;;) {
      const current = await core.store.get(key);
      const next = current?.nextRefreshAt ?? Number.POSITIVE_INFINITY;
      expect(next).toBeLessThanOrEqual(Math.max(warnAt, clock.now()));
      clock.advance(Math.max(0, next - clock.now()));
      const result = await core.refresh(key, { trigger: 'scheduled' });
      expect(result.outcome).toBe('refreshed');
      if (clock.now() >= warnAt) break;
      expect(reauthDue()).toHaveLength(0);
    }
    expect(reauthDue()).toHaveLength(1);
    const event = reauthDue()[0];
    const stored = await core.store.get(key);
    if (stored === null || event === undefined) throw new Error('missing');
    const view = connectionView(stored);
    expect(event.body.data.reauth_due_at).toBe(view.reauth_due_at);
    expect(view.reauth_due_at).toBe(new Date(reauthAt).toISOString());
    expect(event.body.data.error).toBeNull();
    expect(stored.reauthWarned).toBe(true);
    // After the warning the due time is the ordinary schedule again (no tight loop on the past instant).
    expect(stored.nextRefreshAt ?? 0).toBeGreaterThan(clock.now());

    // Rotations of the same grant never warn again.
    for (let i = 0; i < 3; i++) {
      clock.advance(DAY_MS / 2);
      expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');
    }
    expect(reauthDue()).toHaveLength(1);
    expect((await core.store.get(key))?.reauthDueAt).toBe(reauthAt);

    // A reconnect (a new grant through the connect flow's import) starts its own clock.
    const reconnectAt = clock.now();
    const reconnected = await importCredentials(
      { ...core.deps, history },
      (await core.integrations.get(key.integrationId)).integration,
      key,
      {
        accessToken: 'access-after-reconnect',
        refreshToken: await mint(),
        expiresAt: clock.now() + 3_600_000,
        tokenType: 'Bearer',
        scope: null,
        raw: {},
        newGrant: true,
      },
    );
    rememberSecret('access-after-reconnect');
    expect(reconnected.connection.reauthDueAt).toBe(reconnectAt + GRANT_SECONDS * 1000);
    expect(reconnected.connection.reauthWarned).toBe(false);
    clock.advance(DAY_MS);
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('refreshed');
    expect(reauthDue()).toHaveLength(1);
    expect(oidc.stats().invalidGrant).toBe(0);
  });

  it('a failing grant is warned in a failure write without a transition, and its Retry-After still holds', async () => {
    const double = await startProviderDouble({ mode: 'strict_local' });
    try {
      const iid = 'double-life';
      await core.putIntegration(
        iid,
        {
          provider: 'custom',
          client_id: 'c',
          token_url: double.url,
          refresh: {
            grant_lifetime_seconds: GRANT_SECONDS,
            reauth_lead_seconds: LEAD_SECONDS,
            retry_horizon_seconds: 2_592_000,
            // A refresh token that dies soon must not pull a retry before the provider's Retry-After.
            refresh_token_idle_seconds: 120,
          },
        },
        'double-secret',
      );
      const k: ConnectionKey = { integrationId: iid, connectionId: 'u' };
      const token = double.mintFamily();
      rememberSecret(token);
      await core.importConnection(k, { refreshToken: token });
      const limited = { mode: 'status', status: 429, body: { error: 'slow_down' } } as const;
      double.setMode({ ...limited, headers: { 'retry-after': '600' } });
      // Outside the lead: active → failing, one refresh_failed, no warning.
      await core.refresh(k, { trigger: 'forced' });
      clock.advance(LEAD_SECONDS * 1000 + DAY_MS);
      // Inside the lead: failing → failing carries the warning; the due time keeps the Retry-After.
      const before = publisher.events.length;
      const failed = await core.refresh(k, { trigger: 'forced' });
      expect(failed.outcome).toBe('failed');
      const added = publisher.events.slice(before).map((e) => e.body.type);
      expect(added).toEqual(['connection.reauth_due']);
      const stored = await core.store.get(k);
      expect(stored?.status).toBe('failing');
      expect(stored?.nextRefreshAt ?? 0).toBeGreaterThanOrEqual(clock.now() + 600_000);
    } finally {
      await double.close();
    }
  });

  it('an import with the same refresh token keeps the grant; a different one starts a new clock', async () => {
    const other: ConnectionKey = { integrationId: key.integrationId, connectionId: 'user-2' };
    const token = await mint();
    const authorizedAt = clock.now() - 10 * DAY_MS;
    const first = await core.importConnection(other, { refreshToken: token });
    expect(first.connection.reauthDueAt).toBe(clock.now() + GRANT_SECONDS * 1000);
    // The same grant, told when it was authorized: its clock moves, and it is within the lead now.
    const same = await importCredentials(
      core.deps,
      (await core.integrations.get(key.integrationId)).integration,
      other,
      {
        accessToken: 'a-2',
        refreshToken: token,
        expiresAt: clock.now() + 3_600_000,
        tokenType: 'Bearer',
        scope: null,
        raw: {},
        authorizedAt,
      },
    );
    rememberSecret('a-2');
    expect(same.connection.reauthDueAt).toBe(authorizedAt + GRANT_SECONDS * 1000);
    const warned = publisher.events.filter(
      (e) => e.body.type === 'connection.reauth_due' && e.body.data.connection_id === other.connectionId,
    );
    expect(warned).toHaveLength(1);
    // A different refresh token is a new grant: authorized now, not warned.
    const fresh = await core.importConnection(other, { refreshToken: await mint() });
    expect(fresh.connection.reauthDueAt).toBe(clock.now() + GRANT_SECONDS * 1000);
    expect(fresh.connection.reauthWarned).toBe(false);

    // `reauth_due_before`: only connections whose grant ends before the time given.
    const due = async (before: number) =>
      (
        await new DynamoConnectionListing(db.dynamo.client, db.table, core.keyring).page({
          integrationId: key.integrationId,
          reauthDueBefore: before,
          limit: 50,
        })
      ).items.map((c) => c.connectionId);
    const firstEnd = (await core.store.get(key))?.reauthDueAt ?? 0;
    const otherEnd = fresh.connection.reauthDueAt ?? 0;
    expect(firstEnd).toBeLessThan(otherEnd);
    expect(await due(firstEnd)).toEqual([]);
    expect(await due(firstEnd + 1)).toEqual([key.connectionId]);
    expect((await due(otherEnd + 1)).sort()).toEqual([key.connectionId, other.connectionId].sort());
  });
});
