import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime';
import type { HistoryItem, HistoryPage, IntegrationHealth } from '../../shared/api/client';
import { createApiClient } from '../../shared/api/client';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';
import { startWebhookReceiver } from '../support/webhook-receiver';

/**
 * api.md v1.1 history and health through the local runtime (real handlers, dynalite, fauxqs, the
 * pollers, the webhook sender) against oidc-provider with strict rotation.
 */
describe('connection history and integration health (local runtime)', () => {
  let runtime: TestRuntime;
  let local: LocalRuntime;
  let oidc: OidcHarness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  const iid = 'hist-oidc';

  beforeAll(async () => {
    [oidc, receiver] = await Promise.all([startOidcProvider({ rotation: 'strict' }), startWebhookReceiver()]);
    runtime = await startTestRuntime({
      name: 'history',
      env: { WEBHOOK_URL: receiver.url, LOG_LEVEL: 'WARN', WEBHOOK_RETRY_FIRST_DELAY_SECONDS: '1' },
    });
    local = runtime.local;
  });
  afterAll(async () => {
    await runtime?.stop();
    await Promise.all([oidc?.close(), receiver?.close()]);
  });

  it('shows every attempt, the failure in full, the transition with its delivery, the import and token reads', async () => {
    const api = createApiClient({ baseUrl: local.url, apiKey: local.apiKey });
    const client = oidc.clients[0] ?? { id: '', secret: '' };
    rememberSecret(client.secret);
    await api.putIntegration(iid, {
      provider: 'custom',
      client_id: client.id,
      client_secret: client.secret,
      token_url: oidc.tokenUrl,
    });
    const refreshToken = await oidc.mintRefreshToken({ clientId: client.id });
    rememberSecret(refreshToken);
    rememberSecret('imported-access');
    await api.putConnection(iid, 'c1', {
      access_token: 'imported-access',
      refresh_token: refreshToken,
      expires_at: new Date(Date.now() - 60_000).toISOString(),
    });

    // A scheduled refresh through the pipeline, a forced one, and token reads.
    await local.runScanNow();
    await until(
      'the scheduled refresh',
      async () =>
        (await api.getConnection(iid, 'c1')).last_refresh_at !== null &&
        Date.parse((await api.getConnection(iid, 'c1')).access_token_expires_at ?? '') > Date.now(),
    );
    await api.refreshConnection(iid, 'c1');
    for (let i = 0; i < 3; i++) rememberSecret((await api.getToken(iid, 'c1')).access_token);

    // The provider revokes the grant: a failed forced refresh, a transition, its webhook.
    const grant = await oidc.mintRefreshToken({ clientId: client.id });
    rememberSecret(grant);
    await oidc.revokeGrant(grant);
    await api.putConnection(iid, 'c2', {
      access_token: 'imported-access',
      refresh_token: grant,
      expires_in: 3600,
    });
    await api.refreshConnection(iid, 'c2').catch(() => undefined);
    await until('the reauth_required webhook', () =>
      receiver.received.some((w) => w.event.data.connection_id === 'c2' && w.answered === 204),
    );

    const all = async (connectionId: string, limit: number) => {
      const items: HistoryItem[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const answer: HistoryPage = await api.getConnectionHistory(iid, connectionId, {
          limit,
          ...(cursor === undefined ? {} : { cursor }),
        });
        items.push(...answer.items);
        if (answer.next_cursor === null) break;
        cursor = answer.next_cursor;
      }
      return items;
    };

    const c1 = await all('c1', 50);
    const refreshes = c1.filter((i) => i.kind === 'refresh');
    expect(refreshes.map((r) => [r.trigger, r.outcome])).toEqual([
      ['forced', 'refreshed'],
      ['scheduled', 'refreshed'],
    ]);
    for (const r of refreshes) expect(r.duration_ms).toBeGreaterThanOrEqual(0);
    expect(c1.filter((i) => i.kind === 'import')).toHaveLength(1);
    const reads = c1.find((i) => i.kind === 'token_reads');
    expect(reads).toMatchObject({ count: 3, day: new Date().toISOString().slice(0, 10) });
    // Newest first, and small pages give the same history.
    const times = c1.map((i) => Date.parse(i.at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(await all('c1', 1)).toEqual(c1);

    await until('the delivery outcome', async () =>
      (await all('c2', 50)).some((i) => i.kind === 'transition' && i.delivery === 'delivered'),
    );
    const c2 = await all('c2', 50);
    const failed = c2.find((i) => i.kind === 'refresh' && i.outcome === 'failed');
    expect(failed?.error).toMatchObject({ code: 'revoked', provider_error: 'invalid_grant' });
    const transition = c2.find((i) => i.kind === 'transition');
    expect(transition).toMatchObject({
      from: 'active',
      to: 'needs_reauth',
      event_type: 'connection.reauth_required',
      delivery: 'delivered',
    });
    expect(receiver.received.map((w) => w.id)).toContain(transition?.event_id);
    // Never a secret.
    const text = JSON.stringify([c1, c2]);
    for (const secret of [refreshToken, grant, client.secret, 'imported-access'])
      expect(text).not.toContain(secret);

    // Health: counts, failures by code, next due time, latency, reauth due.
    const health: IntegrationHealth = await api.getIntegrationHealth(iid);
    expect(health.connections).toEqual({ active: 1, failing: 0, needs_reauth: 1 });
    expect(health.failures_24h).toEqual({ revoked: 1 });
    expect(health.next_refresh_at).not.toBeNull();
    expect(health.refresh_latency_ms.p50).not.toBeNull();
    expect(health.refresh_latency_ms.p95 ?? 0).toBeGreaterThanOrEqual(health.refresh_latency_ms.p50 ?? 0);
    expect(health.reauth_due_within_lead).toBe(0);

    // Scopes: history for tokens:read keys too, health admin only.
    const created = await api.createApiKey({ name: 'reader', scope: 'tokens:read' });
    rememberSecret(created.api_key);
    const reader = createApiClient({ baseUrl: local.url, apiKey: created.api_key });
    await expect(reader.getConnectionHistory(iid, 'c1')).resolves.toMatchObject({ items: expect.any(Array) });
    await expect(reader.getIntegrationHealth(iid)).rejects.toMatchObject({ status: 403 });
  });
});
