import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IntegrationView } from '../../shared/api/schemas/integrations';
import { type ErrorBody, problems } from '../support/api-client';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { rememberSecret } from '../support/secrets';

// api.md "Integrations" through the real local runtime (HTTP → API Gateway event → api function).
// Private URLs are refused here, as on AWS, so the SSRF guard on configured URLs is exercised.
describe('integrations API', () => {
  let svc: TestRuntime;
  const secrets = ['s3cret-integration-0001', 's3cret-google-0002', 's3cret-rotated-0003'];
  rememberSecret(...secrets);

  /** api.md's example body. */
  const example = {
    provider: 'custom',
    client_id: 'abc',
    client_secret: secrets[0],
    token_url: 'https://provider.example/oauth/token',
    authorization_url: 'https://provider.example/oauth/authorize',
    scopes: ['offline_access', 'read'],
    authorization_params: { prompt: 'consent' },
    client_auth: 'client_secret_basic',
    refresh_params: { audience: 'x' },
    webhook_url: 'https://app.example/hooks/oauth',
    refresh: { margin_seconds: 900, keepalive_seconds: 86400, mode: 'proactive' },
  };
  const path = (id: string) => `/v1/integrations/${encodeURIComponent(id)}`;

  beforeAll(async () => {
    svc = await startTestRuntime({ env: { ALLOW_PRIVATE_URLS: 'false' } });
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('creates (201) and replaces (200) an integration; the view is the body without the secret', async () => {
    const created = await svc.api.put<IntegrationView>(path('custom-prod'), example);
    expect(created.status).toBe(201);
    const { client_secret: _omitted, ...sent } = example;
    expect(created.body).toEqual({
      integration_id: 'custom-prod',
      ...sent,
      client_secret_set: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      updated_at: created.body.created_at,
    });
    expect(created.headers.get('cache-control')).toBe('no-store');

    const replaced = await svc.api.put<IntegrationView>(path('custom-prod'), {
      ...example,
      client_id: 'abd',
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body.client_id).toBe('abd');
    expect(replaced.body.created_at).toBe(created.body.created_at);
    expect(Date.parse(replaced.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.body.created_at));

    const read = await svc.api.get<IntegrationView>(path('custom-prod'));
    expect(read.status).toBe(200);
    expect(read.body).toEqual(replaced.body);
  });

  it('applies catalogue defaults under the fields given, and stores the client secret encrypted', async () => {
    const res = await svc.api.put<IntegrationView>(path('google-prod'), {
      provider: 'google',
      client_id: 'g-client',
      client_secret: secrets[1],
      client_auth: 'client_secret_basic',
    });
    expect(res.status).toBe(201);
    expect(res.body).not.toHaveProperty('token_url'); // the view is what was sent

    const rt = svc.local.functions.api;
    const { integration, clientSecret } = await rt.integrations.get('google-prod');
    expect(integration.tokenUrl).toBe('https://oauth2.googleapis.com/token');
    expect(integration.authorizationParams).toMatchObject({ access_type: 'offline' });
    expect(integration.clientAuth).toBe('client_secret_basic'); // the override wins over google's post
    expect(clientSecret).toBe(secrets[1]);
    const stored = await rt.integrationStore.get('google-prod');
    expect(Buffer.from(stored?.clientSecretCiphertext ?? []).toString('latin1')).not.toContain(secrets[1]);
  });

  it('keeps the stored client secret when a replace omits it, removes it on null, and invalidates the cache', async () => {
    const rt = svc.local.functions.api;
    await svc.api.put(path('keep-secret'), { ...example, client_secret: secrets[2] });
    expect((await rt.integrations.get('keep-secret')).clientSecret).toBe(secrets[2]);

    const { client_secret: _s, ...withoutSecret } = example;
    const kept = await svc.api.put<IntegrationView>(path('keep-secret'), {
      ...withoutSecret,
      client_id: 'new',
    });
    expect(kept.body.client_secret_set).toBe(true);
    const cached = await rt.integrations.get('keep-secret');
    expect(cached.integration.clientId).toBe('new');
    expect(cached.clientSecret).toBe(secrets[2]);

    const cleared = await svc.api.put<IntegrationView>(path('keep-secret'), {
      ...withoutSecret,
      client_secret: null,
    });
    expect(cleared.body.client_secret_set).toBe(false);
    expect((await rt.integrations.get('keep-secret')).clientSecret).toBeNull();
  });

  it('lists every integration ordered by id', async () => {
    await svc.api.put(path('zz-last'), { provider: 'hubspot', client_id: 'h' });
    const res = await svc.api.get<{ items: IntegrationView[] }>('/v1/integrations');
    expect(res.status).toBe(200);
    const ids = res.body.items.map((i) => i.integration_id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['custom-prod', 'google-prod', 'zz-last']));
    expect(res.body.items.find((i) => i.integration_id === 'zz-last')).toMatchObject({
      provider: 'hubspot',
      client_secret_set: false,
    });
  });

  it('answers 404 not_found for an unknown integration', async () => {
    for (const res of [await svc.api.get(path('nope')), await svc.api.delete(path('nope'))]) {
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: 'not_found', message: expect.any(String) });
    }
  });

  it('answers 400 with details naming every invalid field', async () => {
    const res = await svc.api.put(path('bad'), {
      provider: 'custom',
      client_id: '',
      client_auth: 'private_key_jwt',
      scopes: 'read',
      refresh: { margin_seconds: -1, mode: 'sometimes' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(Object.keys(problems(res.body))).toEqual(
      expect.arrayContaining([
        'body.client_id',
        'body.client_auth',
        'body.scopes',
        'body.refresh.margin_seconds',
        'body.refresh.mode',
      ]),
    );

    const cases: [unknown, string][] = [
      [{ provider: 'custom', client_id: 'a' }, 'body.token_url'],
      [{ provider: 'nonesuch', client_id: 'a' }, 'body.provider'],
      [{ provider: 'google', client_id: 'a', token_url: 'ftp://x.example/t' }, 'body.token_url'],
      [{ provider: 'google', client_id: 'a', webhook_url: 'not a url' }, 'body.webhook_url'],
    ];
    for (const [body, field] of cases) {
      const r = await svc.api.put(path('bad'), body);
      expect(r.status, field).toBe(400);
      expect(Object.keys(problems(r.body))).toContain(field);
    }
  });

  it('refuses unknown fields (strict bodies), also inside refresh', async () => {
    const top = await svc.api.put(path('bad'), { provider: 'google', client_id: 'a', clientSecret: 'x' });
    expect(top.status).toBe(400);
    expect(JSON.stringify(top.body.error.details)).toContain('clientSecret');
    const nested = await svc.api.put(path('bad'), {
      provider: 'google',
      client_id: 'a',
      refresh: { margin_second: 60 },
    });
    expect(nested.status).toBe(400);
    expect(JSON.stringify(nested.body.error.details)).toContain('margin_second');
  });

  it('refuses token, authorization and webhook URLs that point at private addresses or use http (SSRF)', async () => {
    const res = await svc.api.put(path('ssrf'), {
      provider: 'custom',
      client_id: 'a',
      token_url: 'https://169.254.169.254/latest/meta-data',
      authorization_url: 'https://127.0.0.1/authorize',
      webhook_url: 'http://hooks.example/oauth',
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(Object.keys(problems(res.body)).sort()).toEqual([
      'body.authorization_url',
      'body.token_url',
      'body.webhook_url',
    ]);
    for (const url of ['https://10.1.2.3/token', 'https://[::1]/token', 'https://u:p@provider.example/t']) {
      const r = await svc.api.put(path('ssrf'), { provider: 'custom', client_id: 'a', token_url: url });
      expect(r.status, url).toBe(400);
      expect(Object.keys(problems(r.body))).toEqual(['body.token_url']);
    }
    // A templated host is checked with its placeholder filled; the refresh checks it again at connect time.
    const templated = await svc.api.put(path('ssrf'), {
      provider: 'custom',
      client_id: 'a',
      token_url: 'https://{subdomain}.provider.example/token',
    });
    expect(templated.status).toBe(201);
    expect((await svc.api.get(path('ssrf-none'))).status).toBe(404);
  });

  it('answers 400 for a bad id, malformed JSON; 415 for another content type; 413 above 64 KB', async () => {
    const badId = await svc.api.put(path('-starts-with-dash'), example);
    expect(badId.status).toBe(400);
    expect(Object.keys(problems(badId.body))).toEqual(['path.integration_id']);

    const malformed = await svc.api.request('PUT', path('x'), { rawBody: '{"provider": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_request');

    const text = await svc.api.request('PUT', path('x'), {
      rawBody: JSON.stringify(example),
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('unsupported_media_type');

    const big = await svc.api.put(path('x'), { ...example, refresh_params: { pad: 'x'.repeat(70_000) } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });

  it('deletes (204) only without connections: 409 conflict while one exists', async () => {
    await svc.api.put(path('to-delete'), { provider: 'google', client_id: 'a' });
    const conn = await svc.api.put(`${path('to-delete')}/connections/user-1`, {
      access_token: 'at-to-delete-1',
    });
    expect(conn.status).toBe(201);

    const conflict = await svc.api.delete(path('to-delete'));
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('conflict');

    expect((await svc.api.delete(`${path('to-delete')}/connections/user-1`)).status).toBe(204);
    const deleted = await svc.api.delete(path('to-delete'));
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await svc.api.get(path('to-delete'))).status).toBe(404);
    expect((await svc.api.delete(path('to-delete'))).status).toBe(404);
    await expect(svc.local.functions.api.integrations.get('to-delete')).rejects.toThrow(/not found/);
  });

  it('refuses (409) to move existing connections to another provider, client or token endpoint', async () => {
    const id = 'bound';
    const base = { provider: 'microsoft', client_id: 'client-a', client_secret: secrets[1] };
    expect((await svc.api.put(path(id), base)).status).toBe(201);
    // Without connections anything may change.
    expect((await svc.api.put(path(id), { ...base, client_id: 'client-b' })).status).toBe(200);
    const conn = await svc.api.put(`${path(id)}/connections/user-1`, { access_token: 'at-bound-1' });
    expect(conn.status).toBe(201);
    const current = { ...base, client_id: 'client-b' };

    for (const [change, field] of [
      [{ provider: 'google' }, 'provider'],
      [{ client_id: 'client-c' }, 'client_id'],
      [{ token_url: 'https://login.example.com/{tenant}/token' }, 'token_url'],
      [{ url_params: { tenant: 'contoso.onmicrosoft.com' } }, 'url_params'],
      [
        { authorization_url: 'https://login.microsoftonline.com/{tenant}/{region}/authorize' },
        'URL placeholders',
      ],
    ] as const) {
      const res = await svc.api.put(path(id), { ...current, ...change });
      expect(res.status, field).toBe(409);
      expect(res.body.error.code).toBe('conflict');
      expect(res.body.error.message).toMatch(/new integration/);
      expect(res.body.error.details).toEqual({ changed: expect.arrayContaining([field]) });
    }
    expect((await svc.api.get<IntegrationView>(path(id))).body.client_id).toBe('client-b');

    // A new client secret and other settings change in place.
    const rotated = await svc.api.put<IntegrationView>(path(id), {
      ...current,
      client_secret: secrets[2],
      scopes: ['offline_access', 'User.Read'],
      refresh: { margin_seconds: 600 },
      url_params: { tenant: 'common' },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.scopes).toEqual(['offline_access', 'User.Read']);
  });

  it('refuses url_params values that are not hostnames for the placeholders they fill', async () => {
    const res = await svc.api.put(path('bad-tenant'), {
      provider: 'microsoft',
      client_id: 'x',
      url_params: { tenant: 'evil.example/x?', unused: 'anything goes' },
    });
    expect(res.status).toBe(400);
    expect(Object.keys(problems(res.body))).toEqual(['body.url_params.tenant']);
  });

  it('answers 401 without or with a wrong API key', async () => {
    for (const key of [
      null,
      'wrong-key-of-the-wrong-length',
      `${svc.api.key.slice(0, -1)}${svc.api.key.endsWith('A') ? 'B' : 'A'}`,
    ]) {
      const res = await svc.api.get<ErrorBody>('/v1/integrations', { key });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
  });

  it('never returns a client secret', () => {
    expect(svc.api.leaked(secrets)).toEqual([]);
  });
});
