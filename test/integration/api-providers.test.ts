import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ProviderList,
  type ProviderView,
  providerListSchema,
  providerSchema,
} from '../../shared/api/schemas/providers';
import { PROVIDERS } from '../../shared/providers/catalogue';
import { startTestRuntime, type TestRuntime } from '../support/local';

// api.md "Additions (v1.1)": GET /v1/providers and GET /v1/providers/{provider}, through the real
// local runtime (HTTP → API Gateway event → api function).
describe('providers API', () => {
  let svc: TestRuntime;
  let readerKey: string;

  beforeAll(async () => {
    svc = await startTestRuntime();
    const created = await svc.api.post<{ api_key: string }>('/v1/api-keys', {
      body: { name: 'reader', scope: 'tokens:read' },
    });
    expect(created.status).toBe(201);
    readerKey = created.body.api_key;
  }, 60_000);
  afterAll(async () => svc?.stop());

  const API_MD_FIELDS = [
    'provider',
    'display_name',
    'token_url',
    'authorization_url',
    'client_auth',
    'rotates_refresh_token',
    'reuse_grace_seconds',
    'grant_lifetime_seconds',
    'refresh_token_idle_seconds',
    'quirks',
    'sources',
  ];

  it('lists the whole catalogue with api.md fields, each behaviour sourced or null', async () => {
    const res = await svc.api.get<ProviderList>('/v1/providers');
    expect(res.status).toBe(200);
    expect(providerListSchema.safeParse(res.body).error).toBeUndefined();
    const keys = res.body.items.map((item) => item.provider);
    expect(keys).toEqual(Object.keys(PROVIDERS).sort());
    expect(keys.filter((key) => key !== 'custom').length).toBeGreaterThanOrEqual(60);
    for (const item of res.body.items) {
      expect(Object.keys(item), item.provider).toEqual(expect.arrayContaining(API_MD_FIELDS));
      expect(item.sources.length, item.provider).toBeGreaterThan(0);
      for (const url of item.sources) expect(new URL(url).protocol).toBe('https:');
      for (const quirk of item.quirks) expect(typeof quirk).toBe('string');
      // A behaviour field is the documented value, or null exactly when the docs are silent.
      for (const name of [
        'rotates_refresh_token',
        'reuse_grace_seconds',
        'grant_lifetime_seconds',
        'refresh_token_idle_seconds',
      ] as const) {
        const behaviour = item.behaviours[name];
        if (behaviour.known) {
          expect(item[name], `${item.provider} ${name}`).toEqual(behaviour.value);
          expect(item.sources).toContain(behaviour.source);
        } else {
          expect(item[name], `${item.provider} ${name}`).toBeNull();
        }
      }
    }
  });

  it('answers any valid key, the read-only scope included', async () => {
    const list = await svc.api.get<ProviderList>('/v1/providers', { key: readerKey });
    expect(list.status).toBe(200);
    const one = await svc.api.get<ProviderView>('/v1/providers/google', { key: readerKey });
    expect(one.status).toBe(200);
    expect(one.body.provider).toBe('google');
  });

  it('shows one provider with its placeholders, documented behaviours and sources', async () => {
    const res = await svc.api.get<ProviderView>('/v1/providers/zoho');
    expect(res.status).toBe(200);
    expect(providerSchema.safeParse(res.body).error).toBeUndefined();
    expect(res.body).toMatchObject({
      provider: 'zoho',
      token_url: 'https://accounts.{dc}/oauth/v2/token',
      client_auth: 'client_secret_post',
      rotates_refresh_token: false,
      reuse_grace_seconds: null,
      url_params: [{ name: 'dc', default: 'zoho.com' }],
      assumed: { rotates_refresh_token: false, reuse_grace_seconds: null },
    });
    expect(res.body.behaviours.rotates_refresh_token).toMatchObject({
      known: true,
      value: false,
      source: 'https://zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html',
    });
    expect(res.body.quirks.join(' ')).toMatch(/20 refresh tokens/);
  });

  it('says null for an undocumented behaviour and shows what the service assumes instead', async () => {
    const res = await svc.api.get<ProviderView>('/v1/providers/okta');
    expect(res.status).toBe(200);
    expect(res.body.rotates_refresh_token).toBeNull();
    expect(res.body.reuse_grace_seconds).toBeNull();
    expect(res.body.behaviours.rotates_refresh_token).toMatchObject({
      known: false,
      value: null,
      source: null,
    });
    expect(res.body.assumed).toMatchObject({ rotates_refresh_token: true, reuse_grace_seconds: 30 });
  });

  it('shows documented lifetimes: a hard grant end and an idle expiry', async () => {
    const spotify = await svc.api.get<ProviderView>('/v1/providers/spotify');
    expect(spotify.body.grant_lifetime_seconds).toBe(180 * 86_400);
    const xero = await svc.api.get<ProviderView>('/v1/providers/xero');
    expect(xero.body).toMatchObject({
      rotates_refresh_token: true,
      reuse_grace_seconds: 1_800,
      refresh_token_idle_seconds: 60 * 86_400,
    });
  });

  it.each(['nope', 'constructor', '__proto__', 'Google'])(
    'answers 404 not_found for unknown provider %j',
    async (p) => {
      const res = await svc.api.get(`/v1/providers/${encodeURIComponent(p)}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    },
  );

  it('answers 401 without a valid key', async () => {
    expect((await svc.api.get('/v1/providers', { key: null })).status).toBe(401);
    expect((await svc.api.get('/v1/providers/google', { key: 'ork_wrong' })).status).toBe(401);
  });

  it('documents both routes in the OpenAPI document', async () => {
    const res = await svc.api.get<{ paths: Record<string, Record<string, { operationId: string }>> }>(
      '/v1/openapi.json',
    );
    expect(res.status).toBe(200);
    expect(res.body.paths['/v1/providers']?.get?.operationId).toBe('listProviders');
    expect(res.body.paths['/v1/providers/{provider}']?.get?.operationId).toBe('getProvider');
  });
});
