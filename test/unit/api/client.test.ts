import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type AccessToken,
  ApiClientError,
  type Connection,
  createApiClient,
} from '../../../shared/api/client';
import { routes } from '../../../shared/api/routes';
import { rememberSecret } from '../../support/secrets';

const KEY = 'ork_client-test-key-000000001';
rememberSecret(KEY);

function fakeApi(answer: (url: URL, init: RequestInit) => Response | Promise<Response>) {
  const calls: Array<{ url: URL; init: RequestInit }> = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    calls.push({ url, init });
    return answer(url, init);
  }) as typeof globalThis.fetch;
  return { api: createApiClient({ baseUrl: 'https://api.example/', apiKey: KEY, fetch }), calls };
}
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('createApiClient', () => {
  it('sends the key as a bearer token and encodes ids into the path', async () => {
    const token = {
      access_token: 'at',
      token_type: 'Bearer',
      expires_at: null,
      scope: null,
      status: 'active',
    };
    const { api, calls } = fakeApi(() => json(200, token));

    const result = await api.getToken('google prod', 'user/42', {
      min_validity_seconds: 300,
      force_refresh: true,
    });

    expectTypeOf(result).toEqualTypeOf<AccessToken>();
    expect(result).toEqual(token);
    const [call] = calls;
    expect(call?.url.pathname).toBe('/v1/integrations/google%20prod/connections/user%2F42/token');
    expect(Object.fromEntries(call?.url.searchParams ?? [])).toEqual({
      min_validity_seconds: '300',
      force_refresh: 'true',
    });
    expect(call?.init.headers).toMatchObject({ authorization: `Bearer ${KEY}` });
    expect(call?.init.body).toBeUndefined();
  });

  it('sends bodies as JSON and returns undefined for 204', async () => {
    const { api, calls } = fakeApi((_url, init) =>
      init.method === 'DELETE' ? new Response(null, { status: 204 }) : json(201, { connection_id: 'c' }),
    );
    const created = await api.putConnection('i', 'c', { access_token: 'at', expires_in: 3600 });
    expectTypeOf(created).toEqualTypeOf<Connection>();
    expect(calls[0]?.init).toMatchObject({ method: 'PUT', headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ access_token: 'at', expires_in: 3600 });
    await expect(api.deleteConnection('i', 'c')).resolves.toBeUndefined();
  });

  it('omits unset query values', async () => {
    const { api, calls } = fakeApi(() => json(200, { items: [], next_cursor: null }));
    await api.listConnections({ status: 'failing', cursor: undefined, limit: 10 });
    expect(calls[0]?.url.search).toBe('?status=failing&limit=10');
  });

  it('throws ApiClientError with the envelope fields and Retry-After', async () => {
    const { api } = fakeApi(() =>
      json(
        503,
        { error: { code: 'refresh_in_progress', message: 'busy', details: { a: 1 } } },
        { 'retry-after': '2' },
      ),
    );
    const error = await api.refreshConnection('i', 'c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiClientError);
    expect(error).toMatchObject({
      name: 'ApiClientError',
      status: 503,
      code: 'refresh_in_progress',
      message: 'busy',
      details: { a: 1 },
      retryAfterSeconds: 2,
    });
  });

  it('reports a non-envelope answer as http_error and no answer as network_error, never with the key', async () => {
    const html = fakeApi(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const httpError = await html.api.getHealth().catch((e: unknown) => e);
    expect(httpError).toMatchObject({ status: 502, code: 'http_error' });

    const down = fakeApi(() => {
      throw new TypeError('fetch failed');
    });
    const networkError = await down.api.listIntegrations().catch((e: unknown) => e);
    expect(networkError).toMatchObject({ status: 0, code: 'network_error' });
    for (const error of [httpError, networkError]) expect(JSON.stringify(error)).not.toContain(KEY);
    expect(String((networkError as Error).message)).not.toContain(KEY);
  });

  it("has one method per api.md operation, with the route table's method and path", async () => {
    const { api, calls } = fakeApi(() => json(200, {}));
    // The browser's routes (the OAuth callback, the operator console's page and files) and the document.
    const browserOrMeta = new Set([
      'oauthCallback',
      'getOpenApiDocument',
      'getConsole',
      'getConsoleSlash',
      'getConsoleScript',
      'getConsoleStyles',
    ]);
    const operations = routes.filter((r) => !browserOrMeta.has(r.operationId));
    expect(Object.keys(api).sort()).toEqual(operations.map((r) => r.operationId).sort());

    for (const r of operations) {
      calls.length = 0;
      const method = (api as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[
        r.operationId
      ];
      await method?.('iid', 'cid', {});
      const template = new RegExp(
        // The first path parameter gets the first argument, the second the second.
        `^${r.path.replace(/\{[a-z_]+\}/, 'iid').replace(/\{[a-z_]+\}/, 'cid')}$`,
      );
      expect(calls[0]?.init.method, r.operationId).toBe(r.method);
      expect(calls[0]?.url.pathname, r.operationId).toMatch(template);
    }
  });
});
