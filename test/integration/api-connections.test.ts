import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionView } from '../../shared/api/schemas/connections';
import { decryptSecrets } from '../../shared/refresh/secrets';
import { problems } from '../support/api-client';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

interface ConnectionList {
  items: ConnectionView[];
  next_cursor: string | null;
}

// api.md "Connections" through the real local runtime, with oidc-provider (strict rotation) as the
// provider and a provider double in front of it for outages and unusable answers.
describe('connections API', () => {
  let svc: TestRuntime;
  let oidc: OidcHarness;
  let double: ProviderDouble;
  let receiver: WebhookReceiver;
  const known = new Set<string>();
  const remember = (...values: string[]) => {
    rememberSecret(...values);
    for (const v of values) known.add(v);
  };
  const conn = (iid: string, cid: string) => `/v1/integrations/${iid}/connections/${cid}`;

  /** Imports a connection holding a fresh oidc-provider grant; returns its refresh token. */
  async function importGrant(iid: string, cid: string, extra: Record<string, unknown> = {}) {
    const refreshToken = await oidc.mintRefreshToken({ clientId: oidc.clients[0]?.id ?? '' });
    const accessToken = `at-${cid}-${randomBytes(8).toString('hex')}`;
    remember(refreshToken, accessToken);
    const res = await svc.api.put<ConnectionView>(conn(iid, cid), {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_in: 3599,
      ...extra,
    });
    expect(res.status).toBe(201);
    return { refreshToken, view: res.body };
  }

  beforeAll(async () => {
    [oidc, receiver] = await Promise.all([startOidcProvider({ rotation: 'strict' }), startWebhookReceiver()]);
    double = await startProviderDouble({ upstream: oidc.tokenUrl });
    svc = await startTestRuntime({ env: { WEBHOOK_URL: receiver.url } });
    const client = oidc.clients[0];
    if (client === undefined) throw new Error('no oidc client');
    remember(client.secret);
    const base = {
      provider: 'custom',
      client_id: client.id,
      client_secret: client.secret,
      client_auth: 'client_secret_basic',
      rotates_refresh_token: true,
      reuse_grace_seconds: 0,
    };
    for (const [id, tokenUrl] of [
      ['oidc', oidc.tokenUrl],
      ['flaky', double.url],
      ['list-a', oidc.tokenUrl],
      ['list-b', oidc.tokenUrl],
    ] as const) {
      expect((await svc.api.put(`/v1/integrations/${id}`, { ...base, token_url: tokenUrl })).status).toBe(
        201,
      );
    }
  });
  afterAll(async () => {
    await svc?.stop();
    await Promise.all([oidc?.close(), double?.close(), receiver?.close()]);
  });
  beforeEach(() => {
    oidc.resetStats();
    double.setMode('proxy');
  });

  it('imports credentials (201) and replaces them (200); the view is api.md’s, metadata kept', async () => {
    const before = Date.now();
    const refreshToken = await oidc.mintRefreshToken({ clientId: oidc.clients[0]?.id ?? '' });
    remember(refreshToken, 'ya29.example-access-token');
    const body = {
      access_token: 'ya29.example-access-token',
      refresh_token: refreshToken,
      expires_in: 3599,
      token_type: 'Bearer',
      scope: 'openid email',
      raw: { any: 'provider response fields' },
      metadata: { customer: 'acme' },
    };
    const created = await svc.api.put<ConnectionView>(conn('oidc', 'user-42'), body);
    expect(created.status).toBe(201);
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(created.body).toEqual({
      integration_id: 'oidc',
      connection_id: 'user-42',
      provider: 'custom',
      status: 'active',
      access_token_expires_at: iso,
      last_refresh_at: iso,
      next_refresh_at: iso,
      consecutive_failures: 0,
      last_error: null,
      metadata: { customer: 'acme' },
      account_id: null,
      // api.md v1.1: a custom provider without lifetimes knows neither clock.
      refresh_token_expires_at: null,
      reauth_due_at: null,
      created_at: iso,
      updated_at: iso,
    });
    const expiresAt = Date.parse(created.body.access_token_expires_at ?? '');
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_599_000);
    expect(Date.parse(created.body.next_refresh_at ?? '')).toBeLessThan(expiresAt);

    const { metadata: _m, ...withoutMetadata } = body;
    const replaced = await svc.api.put<ConnectionView>(conn('oidc', 'user-42'), withoutMetadata);
    expect(replaced.status).toBe(200);
    expect(replaced.body.metadata).toEqual({ customer: 'acme' });
    expect(replaced.body.created_at).toBe(created.body.created_at);

    const read = await svc.api.get<ConnectionView>(conn('oidc', 'user-42'));
    expect(read.status).toBe(200);
    expect(read.body).toEqual(replaced.body);
  });

  it('takes expires_at instead of expires_in, or neither (a JWT exp, else no known expiry)', async () => {
    const at = '2031-01-02T03:04:05Z';
    const withAt = await svc.api.put<ConnectionView>(conn('oidc', 'exp-at'), {
      access_token: 'at-exp-at-0001',
      expires_at: at,
    });
    expect(withAt.status).toBe(201);
    expect(withAt.body.access_token_expires_at).toBe('2031-01-02T03:04:05.000Z');

    const exp = Math.floor(Date.now() / 1000) + 1800;
    const jwt = [{ alg: 'none' }, { exp, sub: 'u' }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .concat('sig')
      .join('.');
    remember(jwt);
    const fromJwt = await svc.api.put<ConnectionView>(conn('oidc', 'exp-jwt'), { access_token: jwt });
    expect(fromJwt.body.access_token_expires_at).toBe(new Date(exp * 1000).toISOString());

    remember('rt-opaque-0001');
    const opaque = await svc.api.put<ConnectionView>(conn('oidc', 'exp-none'), {
      access_token: 'opaque-0001',
      refresh_token: 'rt-opaque-0001',
    });
    expect(opaque.body.access_token_expires_at).toBeNull();
    expect(opaque.body.next_refresh_at).not.toBeNull(); // still kept alive

    // Without a refresh token nothing can be refreshed: no keep-alive, nothing scheduled.
    const bare = await svc.api.put<ConnectionView>(conn('oidc', 'exp-none-no-rt'), {
      access_token: 'opaque-0002',
    });
    expect(bare.body.access_token_expires_at).toBeNull();
    expect(bare.body.next_refresh_at).toBeNull();
    expect(bare.body.status).toBe('active');
  });

  it('answers 400 with details for each invalid field, and for expires_in together with expires_at', async () => {
    const both = await svc.api.put(conn('oidc', 'bad'), {
      access_token: 'at-bad-00001',
      expires_in: 60,
      expires_at: '2031-01-01T00:00:00Z',
    });
    expect(both.status).toBe(400);
    expect(Object.keys(problems(both.body))).toEqual(['body.expires_at']);

    const res = await svc.api.put(conn('oidc', 'bad'), {
      refresh_token: 5,
      expires_in: -1,
      token_type: '',
      metadata: 'acme',
      extra: true,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    const paths = Object.keys(problems(res.body));
    for (const field of ['access_token', 'refresh_token', 'expires_in', 'token_type', 'metadata']) {
      expect(paths).toContain(`body.${field}`);
    }
    expect(JSON.stringify(res.body.error.details)).toContain('extra');

    const badDate = await svc.api.put(conn('oidc', 'bad'), {
      access_token: 'at-bad-00002',
      expires_at: 'tomorrow',
    });
    expect(Object.keys(problems(badDate.body))).toEqual(['body.expires_at']);
    const deep: Record<string, unknown> = {};
    let level = deep;
    for (let i = 0; i < 40; i++) {
      const next: Record<string, unknown> = {};
      level.a = next;
      level = next;
    }
    for (const metadata of [deep, { blob: 'x'.repeat(5_000) }]) {
      const res = await svc.api.put(conn('oidc', 'bad'), { access_token: 'at-bad-00003', metadata });
      expect(res.status).toBe(400);
      expect(Object.keys(problems(res.body))).toEqual(['body.metadata']);
    }
    const badId = await svc.api.get(conn('oidc', 'a%2Fb'));
    expect(badId.status).toBe(400);
    expect(Object.keys(problems(badId.body))).toEqual(['path.connection_id']);
  });

  it('answers 404 for an unknown integration or connection', async () => {
    const noIntegration = await svc.api.put(conn('nope', 'user-1'), { access_token: 'at-nope-00001' });
    expect(noIntegration.status).toBe(404);
    expect(noIntegration.body.error.code).toBe('not_found');
    for (const res of [
      await svc.api.get(conn('oidc', 'nobody')),
      await svc.api.delete(conn('oidc', 'nobody')),
      await svc.api.post(`${conn('oidc', 'nobody')}/refresh`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('deletes a connection (204), after which it is gone (404)', async () => {
    await importGrant('oidc', 'to-delete');
    const res = await svc.api.delete(conn('oidc', 'to-delete'));
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await svc.api.get(conn('oidc', 'to-delete'))).status).toBe(404);
  });

  it('POST refresh: refreshes now with one provider call and answers the view', async () => {
    const { view } = await importGrant('oidc', 'refresh-ok');
    const res = await svc.api.post<ConnectionView>(`${conn('oidc', 'refresh-ok')}/refresh`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('active');
    expect(Date.parse(res.body.last_refresh_at ?? '')).toBeGreaterThanOrEqual(
      Date.parse(view.last_refresh_at ?? ''),
    );
    expect(res.body.updated_at).not.toBe(view.updated_at);
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
  });

  it('POST refresh of a revoked grant: 424 with the connection; importing new credentials reactivates it', async () => {
    const { refreshToken } = await importGrant('oidc', 'revoked');
    await oidc.revokeGrant(refreshToken);
    const res = await svc.api.post(`${conn('oidc', 'revoked')}/refresh`);
    expect(res.status).toBe(424);
    expect(res.body.error.code).toBe('reauth_required');
    const { connection } = res.body.error.details as { connection: ConnectionView };
    expect(connection).toMatchObject({
      connection_id: 'revoked',
      status: 'needs_reauth',
      next_refresh_at: null,
      last_error: { code: 'revoked', provider_error: 'invalid_grant' },
    });
    expect((await svc.api.post(`${conn('oidc', 'revoked')}/refresh`)).status).toBe(424);

    const fresh = await oidc.mintRefreshToken({ clientId: oidc.clients[0]?.id ?? '' });
    remember(fresh, 'at-revoked-new-0001');
    const reimported = await svc.api.put<ConnectionView>(conn('oidc', 'revoked'), {
      access_token: 'at-revoked-new-0001',
      refresh_token: fresh,
      expires_in: 3600,
    });
    expect(reimported.status).toBe(200);
    expect(reimported.body).toMatchObject({ status: 'active', consecutive_failures: 0, last_error: null });
    const types = () =>
      receiver.delivered((w) => w.event.data.connection_id === 'revoked').map((w) => w.event.type);
    await until('the reauthorized webhook', () => types().includes('connection.reauthorized'), 15_000);
    expect(types()).toEqual(['connection.reauth_required', 'connection.reauthorized']);
  });

  it('POST refresh during an outage: 503 provider_unavailable with Retry-After, then backoff', async () => {
    await importGrant('flaky', 'outage');
    double.setMode({ mode: 'status', status: 503, headers: { 'retry-after': '7' } });
    const res = await svc.api.post(`${conn('flaky', 'outage')}/refresh`);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('provider_unavailable');
    expect(res.headers.get('retry-after')).toBe('7');
    const { connection } = res.body.error.details as { connection: ConnectionView };
    expect(connection).toMatchObject({ status: 'failing', last_error: { code: 'provider_unavailable' } });

    // In backoff: no provider call, Retry-After until the next attempt is due.
    const calls = double.requests.count;
    const again = await svc.api.post(`${conn('flaky', 'outage')}/refresh`);
    expect(again.status).toBe(503);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(double.requests.count).toBe(calls);
  });

  it('POST refresh during a backoff without Retry-After calls the provider now (no replayed error)', async () => {
    await importGrant('flaky', 'backoff');
    double.setMode({ mode: 'status', status: 503 });
    expect((await svc.api.post(`${conn('flaky', 'backoff')}/refresh`)).status).toBe(503);
    double.setMode('proxy');
    const calls = double.requests.count;
    const now = await svc.api.post<ConnectionView>(`${conn('flaky', 'backoff')}/refresh`);
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ status: 'active', last_error: null });
    expect(double.requests.count).toBe(calls + 1);
  });

  it('a connection without a refresh token: forced refresh is 409 saying why; never scheduled', async () => {
    remember('at-no-rt-00000001');
    const put = await svc.api.put<ConnectionView>(conn('flaky', 'no-rt'), {
      access_token: 'at-no-rt-00000001',
      expires_in: 3599,
    });
    expect(put.status).toBe(201);
    expect(put.body.status).toBe('active');
    const calls = double.requests.count;
    const res = await svc.api.post(`${conn('flaky', 'no-rt')}/refresh`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('conflict');
    expect(res.body.error.message).toContain('no refresh token');
    const forced = await svc.api.get(`${conn('flaky', 'no-rt')}/token?force_refresh=true`);
    expect(forced.status).toBe(409);
    expect(double.requests.count).toBe(calls);
    const view = await svc.api.get<ConnectionView>(conn('flaky', 'no-rt'));
    expect(view.body.status).toBe('active');
  });

  it('POST .../retry: 409 for a revoked grant; a misconfiguration stays failing and the integration retry makes it due', async () => {
    await importGrant('flaky', 'revoked-retry');
    double.setMode({ mode: 'status', status: 400, body: { error: 'invalid_grant' } });
    expect((await svc.api.post(`${conn('flaky', 'revoked-retry')}/refresh`)).status).toBe(424);
    const retry = await svc.api.post(`${conn('flaky', 'revoked-retry')}/retry`);
    expect(retry.status).toBe(409);
    expect(retry.body.error.message).toContain('rejected');

    await importGrant('flaky', 'misconfigured');
    double.setMode({ mode: 'status', status: 401, body: { error: 'invalid_client' } });
    expect((await svc.api.post(`${conn('flaky', 'misconfigured')}/refresh`)).status).toBe(502);
    const held = await svc.api.get<ConnectionView>(conn('flaky', 'misconfigured'));
    expect(held.body.status).toBe('failing');
    const retried = await svc.api.post<{ retried: number; complete: boolean }>(
      '/v1/integrations/flaky/retry',
    );
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ complete: true });
    expect(retried.body.retried).toBeGreaterThanOrEqual(1);
    const due = await svc.api.get<ConnectionView>(conn('flaky', 'misconfigured'));
    expect(Date.parse(due.body.next_refresh_at ?? '')).toBeLessThanOrEqual(Date.now());
    double.setMode('proxy');
    const back = await svc.api.post<ConnectionView>(`${conn('flaky', 'misconfigured')}/retry`);
    expect(back.status).toBe(200);
    expect(back.body.status).toBe('active');
  });

  it('POST refresh with an unusable answer: 502 provider_error with details.provider_error', async () => {
    await importGrant('flaky', 'bad-client');
    double.setMode({
      mode: 'status',
      status: 401,
      body: { error: 'invalid_client', error_description: 'no' },
    });
    const res = await svc.api.post(`${conn('flaky', 'bad-client')}/refresh`);
    expect(res.status).toBe(502);
    expect(res.body.error).toMatchObject({
      code: 'provider_error',
      details: {
        provider_error: 'invalid_client',
        connection: { last_error: { code: 'client_misconfigured' } },
      },
    });

    await importGrant('flaky', 'garbage');
    double.setMode({ mode: 'status', status: 200, body: '<html>hello</html>' });
    const garbage = await svc.api.post(`${conn('flaky', 'garbage')}/refresh`);
    expect(garbage.status).toBe(502);
    expect(garbage.body.error.code).toBe('provider_error');
    expect(garbage.body.error.details).not.toHaveProperty('provider_error');
  });

  it('lists connections page by page with cursors, filtered by integration and status', async () => {
    const a = ['a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-6', 'a-7'];
    for (const id of a) await importGrant('list-a', id);
    const revoked = ['b-1', 'b-2'];
    for (const id of [...revoked, 'b-3']) {
      const { refreshToken } = await importGrant('list-b', id);
      if (revoked.includes(id)) {
        await oidc.revokeGrant(refreshToken);
        expect((await svc.api.post(`${conn('list-b', id)}/refresh`)).status).toBe(424);
      }
    }

    const walk = async (query: string) => {
      const pages: ConnectionView[][] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor === null ? query : `${query}&cursor=${cursor}`;
        const res = await svc.api.get<ConnectionList>(`/v1/connections?${q}`);
        expect(res.status).toBe(200);
        pages.push(res.body.items);
        cursor = res.body.next_cursor;
        expect(pages.length).toBeLessThan(100);
      } while (cursor !== null);
      return pages;
    };

    const pagesA = await walk('integration_id=list-a&limit=3');
    expect(pagesA.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pagesA.flat().map((c) => c.connection_id)).toEqual(a);

    const all = (await walk('limit=4')).flat();
    const keys = all.map((c) => `${c.integration_id}/${c.connection_id}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toEqual(expect.arrayContaining([...a.map((id) => `list-a/${id}`), 'list-b/b-3']));

    const needsReauth = (await walk('integration_id=list-b&status=needs_reauth&limit=1')).flat();
    expect(needsReauth.map((c) => c.connection_id)).toEqual(revoked);
    const allNeedsReauth = (await walk('status=needs_reauth&limit=2')).flat();
    expect(allNeedsReauth.every((c) => c.status === 'needs_reauth')).toBe(true);
    expect(allNeedsReauth.map((c) => `${c.integration_id}/${c.connection_id}`)).toEqual(
      expect.arrayContaining(revoked.map((id) => `list-b/${id}`)),
    );
    const active = await svc.api.get<ConnectionList>('/v1/connections?integration_id=list-b&status=active');
    expect(active.body).toEqual({
      items: [expect.objectContaining({ connection_id: 'b-3' })],
      next_cursor: null,
    });
  });

  it('answers 400 for an out-of-range limit, an unknown status and a malformed or foreign cursor', async () => {
    const first = await svc.api.get<ConnectionList>('/v1/connections?integration_id=list-a&limit=1');
    const cursorA = first.body.next_cursor ?? '';
    expect(cursorA).not.toBe('');
    const cases: [string, string][] = [
      ['limit=0', 'query.limit'],
      ['limit=501', 'query.limit'],
      ['limit=ten', 'query.limit'],
      ['status=broken', 'query.status'],
      ['integration_id=-x', 'query.integration_id'],
      ['cursor=not!base64', 'query.cursor'],
      [`cursor=${Buffer.from('{}').toString('base64url')}`, 'query.cursor'],
      [`cursor=${Buffer.from('{"pk":"KEYS","sk":"x"}').toString('base64url')}`, 'query.cursor'],
      [`integration_id=list-b&cursor=${cursorA}`, 'query.cursor'],
    ];
    for (const [query, field] of cases) {
      const res = await svc.api.get(`/v1/connections?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(Object.keys(problems(res.body)), query).toEqual([field]);
    }
    expect((await svc.api.get(`/v1/connections?integration_id=list-a&cursor=${cursorA}`)).status).toBe(200);
  });

  it('never returns a refresh token, an access token or a client secret', async () => {
    const rt = svc.local.functions.api;
    // The refresh tokens the service holds now (rotated ones included).
    const listed = await svc.api.get<ConnectionList>('/v1/connections?limit=500');
    for (const view of listed.body.items) {
      const stored = await rt.store.get({
        integrationId: view.integration_id,
        connectionId: view.connection_id,
      });
      if (stored === null) continue;
      const secrets = await decryptSecrets(rt.keyring, stored);
      remember(secrets.access_token, ...(secrets.refresh_token === null ? [] : [secrets.refresh_token]));
    }
    expect(known.size).toBeGreaterThan(20);
    expect(svc.api.leaked(known)).toEqual([]);
  });
});
