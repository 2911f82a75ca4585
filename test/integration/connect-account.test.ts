import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRoot } from '../../functions/api/deps';
import { createHttpTransport } from '../../shared/adapters/http/transport';
import type { IntegrationConfig } from '../../shared/domain/integration';
import { checkIdTokenSignature } from '../../shared/oauth/id-token-signature';
import { saveIntegration } from '../../shared/refresh/save-integration';
import { decryptSecrets } from '../../shared/refresh/secrets';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { rememberSecret } from '../support/secrets';

// api.md v1.1 `account_id`: the provider account that authorized a connection is recorded at the
// first connect (the ID token's iss + sub) and a reconnect that authorizes another account is
// refused unless the integration says `allow_account_change`. oidc-provider issues the ID tokens;
// `login_hint` picks which of its accounts signs in.
describe('connect flow: the provider account behind a connection', () => {
  const APP = 'https://app.example/connected';
  let runtime: TestRuntime;
  let rt: ApiRoot;
  let oidc: OidcHarness;

  beforeAll(async () => {
    runtime = await startTestRuntime({ name: 'connect-account' });
    rt = runtime.local.functions.api;
    oidc = await startOidcProvider({ redirectUri: `${runtime.local.publicUrl}/v1/oauth/callback` });
    await putIntegration('strict-account');
    await putIntegration('lenient-account', { allow_account_change: true });
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await oidc?.close();
  });

  async function putIntegration(id: string, config: Partial<IntegrationConfig> = {}): Promise<void> {
    await saveIntegration(
      rt,
      id,
      ...oidc.integration({
        authorization_url: oidc.authorizationUrl,
        scopes: ['openid', 'offline_access'],
        authorization_params: { prompt: 'consent' },
        ...config,
      }),
    );
  }

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await runtime.api.request<Record<string, unknown>>(method, path, { body });
    return { status: res.status, json: res.body };
  };

  /** The whole flow for `account` at the provider; returns where the callback sends the browser. */
  async function connectAs(integrationId: string, connectionId: string, account: string): Promise<URL> {
    const session = await api('POST', '/v1/connect-sessions', {
      integration_id: integrationId,
      connection_id: connectionId,
      redirect_uri: APP,
    });
    expect(session.status).toBe(201);
    const url = new URL(String(session.json.authorization_url));
    url.searchParams.set('login_hint', account);
    const callback = await oidc.authorize(url);
    rememberSecret(callback.searchParams.get('code'));
    const res = await fetch(callback, { redirect: 'manual' });
    await res.body?.cancel();
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location') ?? '');
  }

  async function stored(integrationId: string, connectionId: string) {
    const connection = await rt.store.get({ integrationId, connectionId });
    if (connection === null) throw new Error('not stored');
    const secrets = await decryptSecrets(rt.keyring, connection);
    rememberSecret(secrets.access_token, secrets.refresh_token);
    for (const value of Object.values(secrets.raw ?? {}))
      if (typeof value === 'string') rememberSecret(value);
    return { connection, secrets };
  }

  it('records the ID token’s iss and sub at the first connect and shows them as account_id', async () => {
    const back = await connectAs('strict-account', 'first', 'alice');
    expect(back.searchParams.get('status')).toBe('success');
    const view = await api('GET', '/v1/integrations/strict-account/connections/first');
    expect(view.json.account_id).toBe(`${oidc.issuer}|alice`);
    // The ID token behind it verifies against the provider's published keys (discovery + JWKS).
    const idToken = (await stored('strict-account', 'first')).secrets.raw?.id_token;
    expect(typeof idToken).toBe('string');
    const transport = createHttpTransport({ allowPrivate: true });
    try {
      expect(
        await checkIdTokenSignature(String(idToken), oidc.issuer, transport, { allowPrivate: true }),
      ).toBe('verified');
    } finally {
      transport.close();
    }
    const listed = await api('GET', '/v1/connections?integration_id=strict-account');
    expect((listed.json.items as Array<Record<string, unknown>>)[0]?.account_id).toBe(`${oidc.issuer}|alice`);
  });

  it('refuses a reconnect by another account: account_mismatch, the stored grant untouched', async () => {
    await connectAs('strict-account', 'mismatch', 'alice');
    const before = await stored('strict-account', 'mismatch');

    const back = await connectAs('strict-account', 'mismatch', 'bob');
    expect(Object.fromEntries(back.searchParams)).toEqual({
      connection_id: 'mismatch',
      status: 'error',
      error: 'account_mismatch',
    });
    const after = await stored('strict-account', 'mismatch');
    expect(after.secrets).toEqual(before.secrets);
    expect(after.connection.credentialGeneration).toBe(before.connection.credentialGeneration);
    expect(after.connection.accountId).toBe(`${oidc.issuer}|alice`);
    // The refused grant's tokens were never stored; alice's grant still refreshes.
    const refreshed = await api('POST', '/v1/integrations/strict-account/connections/mismatch/refresh');
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.account_id).toBe(`${oidc.issuer}|alice`);
  });

  it('accepts a reconnect by the same account', async () => {
    await connectAs('strict-account', 'same', 'carol');
    const before = await stored('strict-account', 'same');
    const back = await connectAs('strict-account', 'same', 'carol');
    expect(back.searchParams.get('status')).toBe('success');
    const after = await stored('strict-account', 'same');
    expect(after.connection.credentialGeneration).toBeGreaterThan(before.connection.credentialGeneration);
    expect(after.connection.accountId).toBe(`${oidc.issuer}|carol`);
  });

  it('allow_account_change: true lets another account take the connection over', async () => {
    await connectAs('lenient-account', 'handover', 'alice');
    const back = await connectAs('lenient-account', 'handover', 'bob');
    expect(back.searchParams.get('status')).toBe('success');
    const view = await api('GET', '/v1/integrations/lenient-account/connections/handover');
    expect(view.json.account_id).toBe(`${oidc.issuer}|bob`);
    const integration = await api('GET', '/v1/integrations/lenient-account');
    expect(integration.json.allow_account_change).toBe(true);
  });

  it('an imported connection has no account until a connect records one', async () => {
    const put = await api('PUT', '/v1/integrations/strict-account/connections/imported', {
      access_token: `at-${randomBytes(8).toString('hex')}`,
      refresh_token: await oidc.mintRefreshToken({ clientId: oidc.clients[0]?.id ?? '', accountId: 'dave' }),
      expires_in: 3600,
    });
    expect(put.status).toBe(201);
    expect(put.json.account_id).toBeNull();
    const back = await connectAs('strict-account', 'imported', 'dave');
    expect(back.searchParams.get('status')).toBe('success');
    expect((await stored('strict-account', 'imported')).connection.accountId).toBe(`${oidc.issuer}|dave`);
  });
});
