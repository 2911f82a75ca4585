import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRoot } from '../../functions/api/deps';
import type { LocalRuntime } from '../../infra/local/runtime';
import { DynamoConnectSessionStore } from '../../shared/adapters/aws/dynamodb/connect-sessions';
import { createRouter } from '../../shared/api/router';
import { routes } from '../../shared/api/routes';
import type { ConnectionKey } from '../../shared/domain/ids';
import type { IntegrationConfig } from '../../shared/domain/integration';
import { importCredentials } from '../../shared/refresh/import-credentials';
import { refreshConnection } from '../../shared/refresh/refresh-connection';
import { saveIntegration } from '../../shared/refresh/save-integration';
import { decryptSecrets } from '../../shared/refresh/secrets';
import type { ApiAnswer } from '../support/api-client';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { rememberedSecrets, rememberSecret } from '../support/secrets';
import { until } from '../support/wait';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

// api.md "Re-authorization (connect) flow", end to end: the real local runtime (HTTP server, api
// handler, dynalite, fauxqs, webhook sender) and a real OAuth server (oidc-provider, strict rotation)
// whose automatic login + consent stands in for the end user's browser.
describe('connect flow through the local runtime', () => {
  const INTEGRATION = 'oidc-connect';
  const APP_REDIRECT = 'https://app.example/connected?from=test';
  let runtime: TestRuntime;
  let local: LocalRuntime;
  let rt: ApiRoot;
  let oidc: OidcHarness;
  let receiver: WebhookReceiver;
  /** Everything the service answered (bodies, Location headers): scanned for secrets at the end. */
  const answered: string[] = [];

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    runtime = await startTestRuntime({
      name: 'connect-flow',
      env: { WEBHOOK_URL: receiver.url, LOG_LEVEL: 'WARN', PROVIDER_TIMEOUT_MS: '5000' },
    });
    local = runtime.local;
    rt = local.functions.api;
    // The runtime's port is known only now: register its callback with the provider.
    oidc = await startOidcProvider({
      rotation: 'strict',
      redirectUri: `${local.publicUrl}/v1/oauth/callback`,
    });
    await putIntegration(INTEGRATION, {
      authorization_url: oidc.authorizationUrl,
      scopes: ['openid', 'offline_access'],
      authorization_params: { prompt: 'consent', ui_locales: 'en' },
      client_auth: 'client_secret_basic',
    });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await Promise.all([oidc?.close(), receiver?.close()]);
  });

  const client = () => oidc.clients[0] ?? { id: '', secret: '' };
  const keyOf = (connectionId: string): ConnectionKey => ({ integrationId: INTEGRATION, connectionId });
  const newId = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

  async function putIntegration(id: string, config: Partial<IntegrationConfig> = {}): Promise<void> {
    await saveIntegration(rt, id, ...oidc.integration(config));
  }

  /** An API call's answer, kept in `answered`. */
  function keep(res: ApiAnswer<Record<string, unknown>>) {
    answered.push(res.text);
    return { status: res.status, json: res.body };
  }
  async function post(path: string, body: unknown, key: string | null = runtime.apiKey) {
    return keep(await runtime.api.post<Record<string, unknown>>(path, { body, key }));
  }

  interface Session {
    readonly authorization_url: string;
    readonly state: string;
    readonly expires_at: string;
  }

  async function createSession(connectionId: string, redirectUri?: string): Promise<Session> {
    const res = await post('/v1/connect-sessions', {
      integration_id: INTEGRATION,
      connection_id: connectionId,
      ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }),
    });
    expect(res.status).toBe(201);
    return res.json as unknown as Session;
  }

  /** The end user at the provider: login + consent, then the redirect back to the service's callback. */
  async function authorize(session: Session): Promise<URL> {
    const callback = await oidc.authorize(session.authorization_url);
    rememberSecret(callback.searchParams.get('code'));
    expect(`${callback.origin}${callback.pathname}`).toBe(`${local.publicUrl}/v1/oauth/callback`);
    expect(callback.searchParams.get('state')).toBe(session.state);
    expect(callback.searchParams.get('iss')).toBe(oidc.issuer); // RFC 9207: must not be rejected
    return callback;
  }

  /** The browser arriving at the callback (redirects not followed). */
  async function callback(url: URL | string) {
    const res = await fetch(url, { redirect: 'manual' });
    const text = await res.text();
    const location = res.headers.get('location');
    answered.push(text, location ?? '');
    return {
      status: res.status,
      text,
      location: location === null ? null : new URL(location),
      contentType: res.headers.get('content-type') ?? '',
      referrerPolicy: res.headers.get('referrer-policy'),
    };
  }

  const callbackUrl = (params: Record<string, string>) =>
    `${local.url}/v1/oauth/callback?${new URLSearchParams(params).toString()}`;

  async function storedSecrets(key: ConnectionKey) {
    const connection = await rt.store.get(key);
    if (connection === null) throw new Error('connection not stored');
    const secrets = await decryptSecrets(rt.keyring, connection);
    rememberSecret(secrets.access_token, secrets.refresh_token);
    for (const value of Object.values(secrets.raw ?? {}))
      if (typeof value === 'string') rememberSecret(value);
    return { connection, secrets };
  }

  it('builds an authorization URL with the scopes, state, S256 challenge, callback and authorization_params', async () => {
    const before = Date.now();
    const session = await createSession(newId('url'), APP_REDIRECT);
    const url = new URL(session.authorization_url);
    expect(`${url.origin}${url.pathname}`).toBe(oidc.authorizationUrl);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      response_type: 'code',
      client_id: client().id,
      redirect_uri: `${local.publicUrl}/v1/oauth/callback`,
      scope: 'openid offline_access',
      state: session.state,
      code_challenge_method: 'S256',
      prompt: 'consent',
      ui_locales: 'en',
    });
    expect(q.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(session.state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const expiresAt = Date.parse(session.expires_at);
    expect(expiresAt - before).toBeGreaterThanOrEqual(10 * 60_000 - 1_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(10 * 60_000);
  });

  it('connects a new connection: code exchanged, active, tokens stored and usable, back to the app with success', async () => {
    const connectionId = newId('new');
    oidc.resetStats();
    const session = await createSession(connectionId, APP_REDIRECT);
    const res = await callback(await authorize(session));

    expect(res.status).toBe(302);
    expect(res.referrerPolicy).toBe('no-referrer');
    expect(`${res.location?.origin}${res.location?.pathname}`).toBe('https://app.example/connected');
    expect(Object.fromEntries(res.location?.searchParams ?? [])).toEqual({
      from: 'test',
      connection_id: connectionId,
      status: 'success',
    });
    expect(oidc.stats().codeGrants).toBe(1);

    const { connection, secrets } = await storedSecrets(keyOf(connectionId));
    expect(connection.status).toBe('active');
    expect(connection.provider).toBe('custom');
    expect(connection.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    expect(secrets.refresh_token).toEqual(expect.any(String));

    // The stored refresh token is the provider's: a refresh against the strict rotator succeeds.
    const refreshed = await refreshConnection(rt.refresh, keyOf(connectionId), { trigger: 'forced' });
    expect(refreshed.outcome).toBe('refreshed');
    if (refreshed.outcome === 'refreshed')
      rememberSecret(refreshed.secrets.access_token, refreshed.secrets.refresh_token);
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
  });

  it('re-authorizes a connection in needs_reauth: active again, exactly one connection.reauthorized', async () => {
    const connectionId = newId('reauth');
    const key = keyOf(connectionId);
    const refreshToken = await oidc.mintRefreshToken({ clientId: client().id });
    rememberSecret(refreshToken);
    const { integration } = await rt.integrations.get(INTEGRATION);
    await importCredentials({ ...rt, random: Math.random }, integration, key, {
      accessToken: `initial-${randomBytes(12).toString('hex')}`,
      refreshToken,
      expiresAt: Date.now() + 600_000,
      tokenType: 'Bearer',
      scope: null,
      raw: {},
    });
    await oidc.revokeGrant(refreshToken);
    const failed = await refreshConnection(rt.refresh, key, { trigger: 'forced' });
    expect(failed.outcome).toBe('failed');
    expect((await rt.store.get(key))?.status).toBe('needs_reauth');

    // No redirect_uri: the callback answers with a small page.
    const res = await callback(await authorize(await createSession(connectionId)));
    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^text\/html/);
    expect(res.text).toContain('Connected');
    expect(res.text).toContain(connectionId);

    const { connection } = await storedSecrets(key);
    expect(connection.status).toBe('active');
    expect(connection.consecutiveFailures).toBe(0);
    expect(connection.lastError).toBeNull();

    const events = (type: string) =>
      receiver.delivered((w) => w.event.type === type && w.event.data.connection_id === connectionId);
    await until('connection.reauthorized', () => events('connection.reauthorized').length > 0, 15_000);
    expect(events('connection.reauth_required')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a duplicate would have arrived by now
    const reauthorized = events('connection.reauthorized');
    expect(reauthorized).toHaveLength(1);
    const [webhook] = reauthorized;
    if (webhook === undefined) throw new Error('unreachable');
    expect(webhook.event.data).toMatchObject({ status: 'active', error: null });
    receiver.verify(webhook, local.webhookSecret);
  });

  it('a reconnect is a new grant: its own reauth_due_at, warned afresh, the old warning not repeated', async () => {
    const lifeIntegration = `${INTEGRATION}-life`;
    const lifetime = 30 * 86_400;
    await putIntegration(lifeIntegration, {
      authorization_url: oidc.authorizationUrl,
      scopes: ['openid', 'offline_access'],
      authorization_params: { prompt: 'consent', ui_locales: 'en' },
      client_auth: 'client_secret_basic',
      refresh: { grant_lifetime_seconds: lifetime, reauth_lead_seconds: 7 * 86_400 },
    });
    const connectionId = newId('life');
    const key = { integrationId: lifeIntegration, connectionId };
    const refreshToken = await oidc.mintRefreshToken({ clientId: client().id });
    rememberSecret(refreshToken);
    const { integration } = await rt.integrations.get(lifeIntegration);
    // Authorized 25 days ago: within the 7-day lead of its 30-day end, warned at once.
    const authorizedAt = Date.now() - 25 * 86_400_000;
    const imported = await importCredentials({ ...rt, random: Math.random }, integration, key, {
      accessToken: `initial-${randomBytes(12).toString('hex')}`,
      refreshToken,
      expiresAt: Date.now() + 600_000,
      tokenType: 'Bearer',
      scope: null,
      raw: {},
      authorizedAt,
    });
    expect(imported.connection.reauthDueAt).toBe(authorizedAt + lifetime * 1000);
    const warnings = () =>
      receiver.delivered(
        (w) => w.event.type === 'connection.reauth_due' && w.event.data.connection_id === connectionId,
      );
    await until('connection.reauth_due', () => warnings().length > 0, 15_000);

    const session = (
      await post('/v1/connect-sessions', { integration_id: lifeIntegration, connection_id: connectionId })
    ).json as unknown as Session;
    const before = Date.now();
    const res = await callback(await authorize(session));
    expect(res.status).toBe(200);
    const connection = await rt.store.get(key);
    expect(connection?.reauthWarned).toBe(false);
    expect(connection?.reauthDueAt ?? 0).toBeGreaterThanOrEqual(before + lifetime * 1000);
    expect(connection?.reauthDueAt ?? 0).toBeLessThanOrEqual(Date.now() + lifetime * 1000);
    const refreshed = await refreshConnection(rt.refresh, key, { trigger: 'forced' });
    expect(refreshed.outcome).toBe('refreshed');
    if (refreshed.outcome === 'refreshed')
      rememberSecret(refreshed.secrets.access_token, refreshed.secrets.refresh_token);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // a second warning would have arrived
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]?.event.data).toMatchObject({
      reauth_due_at: new Date(authorizedAt + lifetime * 1000).toISOString(),
      error: null,
    });
  });

  it('refuses a state used twice, without a second code exchange', async () => {
    const connectionId = newId('reuse');
    const url = await authorize(await createSession(connectionId, APP_REDIRECT));
    expect((await callback(url)).status).toBe(302);
    oidc.resetStats();

    const again = await callback(url);
    expect(again.status).toBe(400);
    expect(again.location).toBeNull();
    expect(again.contentType).toMatch(/^text\/html/);
    expect(again.text).toContain('invalid_state');
    expect(oidc.stats().requests).toBe(0);
  });

  it('lets exactly one of several concurrent callbacks with the same state through', async () => {
    const url = await authorize(await createSession(newId('race'), APP_REDIRECT));
    oidc.resetStats();
    const results = await Promise.all(Array.from({ length: 8 }, () => callback(url)));
    expect(results.map((r) => r.status).sort()).toEqual([302, 400, 400, 400, 400, 400, 400, 400]);
    expect(results.find((r) => r.status === 302)?.location?.searchParams.get('status')).toBe('success');
    expect(oidc.stats().codeGrants).toBe(1);
    expect(oidc.stats().requests).toBe(1);
  });

  it('refuses an expired state (sessions last 10 minutes)', async () => {
    const connectionId = newId('expired');
    const elevenMinutesAgo = { now: () => Date.now() - 11 * 60_000, sleep: async () => {} };
    const old = new DynamoConnectSessionStore(local.dynamo, local.tableName, rt.keyring, elevenMinutesAgo);
    const { state, expiresAt } = await old.create({ ...keyOf(connectionId), redirectUri: APP_REDIRECT });
    expect(expiresAt).toBeLessThan(Date.now());
    oidc.resetStats();

    const res = await callback(callbackUrl({ code: 'irrelevant-code', state, iss: oidc.issuer }));
    expect(res.status).toBe(400);
    expect(res.text).toContain('invalid_state');
    expect(oidc.stats().requests).toBe(0);
    expect(await rt.store.get(keyOf(connectionId))).toBeNull();
  });

  it('answers unknown, malformed or missing states with a 400 page, never 5xx', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { code: 'x' },
      { code: 'x', state: randomBytes(32).toString('base64url') },
      { code: 'x', state: '<script>alert(1)</script>' },
      { code: 'x', state: 'A'.repeat(4_000) },
      { error: 'access_denied' },
      { state: '', code: '' },
    ];
    for (const params of cases) {
      const res = await callback(callbackUrl(params));
      expect(res.status, JSON.stringify(params).slice(0, 80)).toBe(400);
      expect(res.text).toContain('invalid_state');
      expect(res.text).not.toContain('<script>');
    }
    const repeated = await callback(`${local.url}/v1/oauth/callback?state=a&state=b&code=1&code=2`);
    expect(repeated.status).toBe(400);
  });

  it('sends the provider error (access_denied) back to the app, storing nothing', async () => {
    const connectionId = newId('denied');
    const session = await createSession(connectionId, APP_REDIRECT);
    const res = await callback(
      callbackUrl({
        error: 'access_denied',
        error_description: 'The <b>user</b> denied',
        state: session.state,
        iss: oidc.issuer,
      }),
    );
    expect(res.status).toBe(302);
    expect(Object.fromEntries(res.location?.searchParams ?? [])).toEqual({
      from: 'test',
      connection_id: connectionId,
      status: 'error',
      error: 'access_denied',
    });
    expect(await rt.store.get(keyOf(connectionId))).toBeNull();
    // The state is spent either way.
    expect((await callback(callbackUrl({ code: 'x', state: session.state }))).status).toBe(400);
  });

  it('sends exchange_failed back to the app when the provider refuses the code', async () => {
    const connectionId = newId('badcode');
    const session = await createSession(connectionId, APP_REDIRECT);
    const res = await callback(
      callbackUrl({ code: 'not-a-real-code', state: session.state, iss: oidc.issuer }),
    );
    expect(res.status).toBe(302);
    expect(res.location?.searchParams.get('status')).toBe('error');
    expect(res.location?.searchParams.get('error')).toBe('exchange_failed');
    expect(await rt.store.get(keyOf(connectionId))).toBeNull();
  });

  it('validates POST /v1/connect-sessions: key, integration, authorization_url, redirect_uri', async () => {
    const body = { integration_id: INTEGRATION, connection_id: 'c1' };
    expect((await post('/v1/connect-sessions', body, null)).status).toBe(401);
    expect((await post('/v1/connect-sessions', { ...body, integration_id: 'nope' })).status).toBe(404);
    await putIntegration('no-authorize-url');
    const noAuthorize = await post('/v1/connect-sessions', { ...body, integration_id: 'no-authorize-url' });
    expect(noAuthorize.status).toBe(400);
    expect(noAuthorize.json).toMatchObject({ error: { code: 'invalid_request' } });
    for (const redirect_uri of [
      'javascript:alert(1)',
      'ftp://app.example/x',
      '/relative',
      'https://app.example/#frag',
    ]) {
      const res = await post('/v1/connect-sessions', { ...body, redirect_uri });
      expect(res.status, redirect_uri).toBe(400);
      expect(res.json).toMatchObject({
        error: { code: 'invalid_request', details: [{ path: 'body.redirect_uri' }] },
      });
    }
    expect((await post('/v1/connect-sessions', { ...body, extra: 1 })).status).toBe(400);
    // ALLOW_PRIVATE_URLS is on locally, so http works here...
    expect(
      (await post('/v1/connect-sessions', { ...body, redirect_uri: 'http://127.0.0.1:9/done' })).status,
    ).toBe(201);
    // ...and off (the AWS default) only https is accepted.
    const strict = createRouter({
      routes,
      deps: { ...rt, config: { ...rt.config, allowPrivateUrls: false } },
      authenticate: async () => ({ kind: 'api_key', id: 'test', scopes: ['admin'] }),
      logger: rt.logger,
    });
    const request = (redirect_uri: string) =>
      strict({
        method: 'POST',
        path: '/v1/connect-sessions',
        query: {},
        headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
        body: JSON.stringify({ ...body, redirect_uri }),
        requestId: 'test',
      });
    expect((await request('http://app.example/done')).status).toBe(400);
    expect((await request('https://app.example/done')).status).toBe(201);
  });

  async function put(path: string, body: unknown) {
    return keep(await runtime.api.put<Record<string, unknown>>(path, body));
  }

  it('connects a per-customer provider: metadata fills the URL placeholders and is stored on the connection', async () => {
    const templated = (url: string) => url.replace('//127.0.0.1:', '//{host}:');
    await putIntegration('oidc-per-customer', {
      token_url: templated(oidc.tokenUrl),
      authorization_url: templated(oidc.authorizationUrl),
      scopes: ['openid', 'offline_access'],
      authorization_params: { prompt: 'consent' },
    });
    const body = { integration_id: 'oidc-per-customer', connection_id: newId('tenant') };
    const missing = await post('/v1/connect-sessions', body);
    expect(missing.status).toBe(400);
    expect(missing.json).toMatchObject({
      error: { code: 'invalid_request', details: [{ path: 'body.metadata.host' }] },
    });
    const malformed = await post('/v1/connect-sessions', {
      ...body,
      metadata: { host: '127.0.0.1:4199/token#' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json).toMatchObject({ error: { details: [{ path: 'body.metadata.host' }] } });
    expect(JSON.stringify(malformed.json)).not.toContain('4199');

    const metadata = { host: '127.0.0.1', customer: 'acme', seats: 12 };
    const created = await post('/v1/connect-sessions', { ...body, metadata });
    expect(created.status).toBe(201);
    const session = created.json as unknown as Session;
    expect(new URL(session.authorization_url).origin).toBe(oidc.issuer);
    const res = await callback(await authorize(session));
    expect(res.status).toBe(200);
    const key = { integrationId: 'oidc-per-customer', connectionId: body.connection_id };
    const { connection } = await storedSecrets(key);
    expect(connection).toMatchObject({ integrationId: 'oidc-per-customer', status: 'active', metadata });
    const refreshed = await refreshConnection(rt.refresh, key, { trigger: 'forced' });
    expect(refreshed.outcome).toBe('refreshed');
    if (refreshed.outcome === 'refreshed')
      rememberSecret(refreshed.secrets.access_token, refreshed.secrets.refresh_token);
  });

  it('refuses missing or malformed shop/subdomain values at session creation and at import, naming them', async () => {
    await saveIntegration(rt, 'shopify-app', { provider: 'shopify', client_id: 'shopify-client' }, 'shpss_x');
    await saveIntegration(rt, 'zendesk-app', { provider: 'zendesk', client_id: 'zd-client' }, 'zd-secret');
    const cases = [
      { integration_id: 'shopify-app', name: 'shop', good: 'acme-store', host: 'acme-store.myshopify.com' },
      { integration_id: 'zendesk-app', name: 'subdomain', good: 'acme', host: 'acme.zendesk.com' },
    ];
    for (const { integration_id, name, good, host } of cases) {
      const connection_id = newId(name);
      const session = (metadata?: Record<string, unknown>) =>
        post('/v1/connect-sessions', { integration_id, connection_id, ...(metadata ? { metadata } : {}) });
      const path = `body.metadata.${name}`;
      for (const bad of [undefined, { [name]: '127.0.0.1:4199/token#' }, { [name]: 'a.b' }, { [name]: 7 }]) {
        const res = await session(bad);
        expect(res.status, JSON.stringify(bad)).toBe(400);
        expect(res.json).toMatchObject({ error: { code: 'invalid_request', details: [{ path }] } });
        const imported = await put(`/v1/integrations/${integration_id}/connections/${connection_id}`, {
          access_token: 'at-placeholder-test',
          refresh_token: 'rt-placeholder-test',
          expires_in: 3600,
          ...(bad === undefined ? {} : { metadata: bad }),
        });
        expect(imported.status, JSON.stringify(bad)).toBe(400);
        expect(imported.json).toMatchObject({ error: { details: [{ path }] } });
      }
      expect(await rt.store.get({ integrationId: integration_id, connectionId: connection_id })).toBeNull();
      const ok = await session({ [name]: good });
      expect(ok.status).toBe(201);
      expect(new URL(String(ok.json.authorization_url)).host).toBe(host);
      const imported = await put(`/v1/integrations/${integration_id}/connections/${connection_id}`, {
        access_token: 'at-placeholder-test',
        refresh_token: 'rt-placeholder-test',
        metadata: { [name]: good },
      });
      expect(imported.status).toBe(201);
      // Stored metadata serves a later session without metadata.
      expect((await session()).status).toBe(201);
    }
  });

  it('never put a token, code, secret or key in a response body, Location header or page', () => {
    expect(answered.length).toBeGreaterThan(20);
    const everything = answered.join('\n');
    const secrets = [...rememberedSecrets()];
    expect(secrets.length).toBeGreaterThan(8);
    expect(secrets.filter((s) => everything.includes(s))).toEqual([]);
  });
});
