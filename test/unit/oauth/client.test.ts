import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer, type LookupFunction } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTokenClient } from '../../../shared/adapters/http/token-client';
import { createHttpTransport } from '../../../shared/adapters/http/transport';
import type { ResolvedIntegration } from '../../../shared/domain/integration';
import type {
  RefreshFailure,
  RefreshGrantInput,
  RefreshOutcome,
  TokenSet,
} from '../../../shared/oauth/types';
import type { HttpTransport } from '../../../shared/ports/http';
import { TLS_CERT, TLS_KEY } from '../../support/tls';
import {
  aClosedPort,
  aGrant,
  aJwt,
  anIntegration,
  CLIENT_ID,
  CLIENT_SECRET,
  type FakeProvider,
  NOW,
  REFRESH_TOKEN,
  secretsIn,
  startFakeProvider,
} from './fixtures';

const TIMEOUT_MS = 300;
const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

let provider: FakeProvider;
const client = createTokenClient({ allowPrivateUrls: true, retryDelayMs: 10 });

beforeAll(async () => {
  provider = await startFakeProvider();
});
afterAll(() => provider.close());
beforeEach(() => {
  provider.requests.length = 0;
});

function grant(integration: Partial<ResolvedIntegration> = {}, overrides: Partial<RefreshGrantInput> = {}) {
  return aGrant({
    integration: anIntegration({ tokenUrl: `${provider.origin}/token`, ...integration }),
    ...overrides,
  });
}

async function refresh(
  integration: Partial<ResolvedIntegration> = {},
  overrides: Partial<RefreshGrantInput> = {},
) {
  return client.refresh(grant(integration, overrides), { timeoutMs: TIMEOUT_MS });
}

function tokensOf(outcome: RefreshOutcome): TokenSet {
  if (!outcome.ok)
    throw new Error(`expected success, got ${outcome.failure.code}: ${outcome.failure.message}`);
  return outcome.tokens;
}

function failureOf(outcome: RefreshOutcome): RefreshFailure {
  if (outcome.ok) throw new Error('expected a failure');
  expect(secretsIn(outcome)).toEqual([]);
  return outcome.failure;
}

describe('TokenClient.refresh over real HTTP: request', () => {
  it('client_secret_basic sends Basic base64(urlencode(id):urlencode(secret))', async () => {
    provider.reply(200, { access_token: 'at', expires_in: 3600 });
    tokensOf(await refresh({ clientAuth: 'client_secret_basic' }));
    const [req] = provider.requests;
    const auth = req?.headers.authorization ?? '';
    expect(auth).toMatch(/^Basic [A-Za-z0-9+/]+=*$/);
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const [id = '', secret = '', extra] = decoded.split(':');
    expect(extra).toBeUndefined(); // the ':' inside the secret was encoded
    expect([formDecode(id), formDecode(secret)]).toEqual([CLIENT_ID, CLIENT_SECRET]);
    const body = new URLSearchParams(req?.body);
    expect([...body.keys()].sort()).toEqual(['grant_type', 'refresh_token']);
    expect(req?.headers.accept).toBe('application/json');
  });

  it('client_secret_post sends the credentials and refresh_params in the form body', async () => {
    provider.reply(200, { access_token: 'at' });
    tokensOf(await refresh({ refreshParams: { scope: 'offline_access', grant_type: 'nope' } }));
    const req = provider.requests[0];
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/token');
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(req?.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: REFRESH_TOKEN,
      scope: 'offline_access',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('fills the token URL template from urlParams', async () => {
    provider.reply(200, { access_token: 'at' });
    const integration = { tokenUrl: `${provider.origin}/{tenant}/oauth2/token` };
    tokensOf(await refresh(integration, { urlParams: { tenant: 'contoso.example' } }));
    expect(provider.requests[0]?.url).toBe('/contoso.example/oauth2/token');
  });

  it('a bad template value is client_misconfigured and nothing is sent', async () => {
    const integration = { tokenUrl: `${provider.origin}/{tenant}/token` };
    const f = failureOf(await refresh(integration, { urlParams: { tenant: '../admin' } }));
    expect(f).toMatchObject({ code: 'client_misconfigured', requestSent: false });
    expect(f.message).toContain('{tenant}');
    expect(f.message).not.toContain('../admin');
    expect(failureOf(await refresh(integration)).message).toContain('{tenant}');
    expect(provider.requests).toHaveLength(0);
  });
});

describe('TokenClient.refresh over real HTTP: responses', () => {
  it('parses expires_in (number and numeric string), expires_at, and keeps raw fields', async () => {
    provider.reply(200, {
      access_token: 'at',
      refresh_token: 'rt-new',
      expires_in: 3600,
      instance_url: 'https://x',
    });
    expect(tokensOf(await refresh())).toMatchObject({
      refreshToken: 'rt-new',
      expiresAt: NOW + 3_600_000,
      expirySource: 'expires_in',
      raw: { instance_url: 'https://x' },
    });
    provider.reply(200, { access_token: 'at', expires_in: '1800' });
    expect(tokensOf(await refresh()).lifetimeSeconds).toBe(1800);
    provider.reply(200, { access_token: 'at', expires_at: NOW / 1000 + 600 });
    expect(tokensOf(await refresh())).toMatchObject({ expiresAt: NOW + 600_000, expirySource: 'expires_at' });
  });

  it('falls back to JWT exp, then the previous lifetime, then the default; non_expiring gives none', async () => {
    provider.reply(200, { access_token: aJwt({ exp: NOW / 1000 + 999 }) });
    expect(tokensOf(await refresh())).toMatchObject({ lifetimeSeconds: 999, expirySource: 'jwt_exp' });
    provider.reply(200, { access_token: 'opaque' });
    expect(tokensOf(await refresh({}, { previousLifetimeSeconds: 5400 })).expirySource).toBe(
      'previous_lifetime',
    );
    expect(tokensOf(await refresh()).expirySource).toBe('default');
    expect(tokensOf(await refresh({ expiryFallback: 'non_expiring' }))).toMatchObject({
      expiresAt: null,
      expirySource: 'non_expiring',
    });
  });

  it('a response without refresh_token yields refreshToken null (keep the old one)', async () => {
    provider.reply(200, { access_token: 'at', expires_in: 3599, token_type: 'Bearer' });
    expect(tokensOf(await refresh()).refreshToken).toBeNull();
  });

  it('Slack: errors in a 200 body, and the user token nested under authed_user', async () => {
    const slack = { errorsIn200Body: true, tokenPath: 'authed_user' };
    provider.reply(200, { ok: false, error: 'invalid_refresh_token' });
    expect(failureOf(await refresh(slack))).toMatchObject({
      code: 'revoked',
      providerError: 'invalid_refresh_token',
      httpStatus: 200,
    });
    provider.reply(200, {
      ok: true,
      authed_user: { id: 'U1', access_token: 'xoxp', refresh_token: 'xoxe-2', expires_in: 43200 },
    });
    expect(tokensOf(await refresh(slack))).toMatchObject({
      accessToken: 'xoxp',
      refreshToken: 'xoxe-2',
      lifetimeSeconds: 43200,
    });
  });

  it('GitHub: error in a 200 body and a form-encoded success', async () => {
    provider.reply(200, {
      error: 'bad_refresh_token',
      error_description: 'The refresh token passed is incorrect or expired.',
    });
    expect(failureOf(await refresh({ errorsIn200Body: true })).code).toBe('revoked');
    provider.reply(200, 'access_token=ghu_1&expires_in=28800&refresh_token=ghr_2&token_type=bearer', {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    });
    expect(tokensOf(await refresh({ errorsIn200Body: true }))).toMatchObject({
      accessToken: 'ghu_1',
      refreshToken: 'ghr_2',
    });
  });

  it('400 invalid_grant is revoked, keeping error, description and status', async () => {
    provider.reply(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
    expect(failureOf(await refresh())).toEqual({
      code: 'revoked',
      message: expect.stringContaining('invalid_grant'),
      providerError: 'invalid_grant',
      providerErrorDescription: 'Token has been expired or revoked.',
      httpStatus: 400,
      retryAfterSeconds: null,
      requestSent: true,
    });
  });

  it('401 invalid_client is client_misconfigured', async () => {
    provider.reply(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic' });
    expect(failureOf(await refresh({ clientAuth: 'client_secret_basic' }))).toMatchObject({
      code: 'client_misconfigured',
      providerError: 'invalid_client',
      httpStatus: 401,
    });
  });

  it('429 with Retry-After 30 or the equivalent HTTP date is rate_limited for 30 s', async () => {
    provider.reply(429, { error: 'rate_limited' }, { 'retry-after': '30' });
    expect(failureOf(await refresh())).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 30 });
    provider.reply(429, '', { 'retry-after': new Date(NOW + 30_000).toUTCString() });
    expect(failureOf(await refresh())).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 30 });
  });

  it('503 and an HTML 502 are provider_unavailable', async () => {
    provider.reply(503, { error: 'temporarily_unavailable' }, { 'retry-after': '10' });
    expect(failureOf(await refresh())).toMatchObject({
      code: 'provider_unavailable',
      retryAfterSeconds: 10,
      httpStatus: 503,
    });
    provider.reply(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', {
      'content-type': 'text/html',
    });
    expect(failureOf(await refresh())).toMatchObject({ code: 'provider_unavailable', httpStatus: 502 });
  });

  it('a 200 HTML page is invalid_response', async () => {
    provider.reply(200, '<!doctype html><title>Sign in</title>', { 'content-type': 'text/html' });
    expect(failureOf(await refresh()).code).toBe('invalid_response');
  });

  it('a 302 is invalid_response and is not followed', async () => {
    provider.reply(302, '', { location: `${provider.origin}/elsewhere` });
    expect(failureOf(await refresh())).toMatchObject({ code: 'invalid_response', httpStatus: 302 });
    expect(provider.requests.map((r) => r.url)).toEqual(['/token']);
  });

  it('an oversized body is invalid_response', async () => {
    provider.reply(200, { access_token: 'a'.repeat(300_000) });
    expect(failureOf(await refresh()).code).toBe('invalid_response');
  });

  it('a provider echoing the refresh token and client secret has them scrubbed', async () => {
    provider.reply(400, {
      error: 'invalid_grant',
      error_description: `refresh token ${REFRESH_TOKEN} with secret ${CLIENT_SECRET}`,
    });
    expect(failureOf(await refresh()).providerErrorDescription).toBe(
      'refresh token [redacted] with secret [redacted]',
    );
  });
});

describe('TokenClient.refresh over real HTTP: network failures', () => {
  it('connection refused is provider_unavailable, not sent, after the in-call retries', async () => {
    const port = await aClosedPort();
    const f = failureOf(
      await client.refresh(
        aGrant({ integration: anIntegration({ tokenUrl: `http://127.0.0.1:${port}/token` }) }),
        { timeoutMs: 2000 },
      ),
    );
    expect(f).toMatchObject({ code: 'provider_unavailable', requestSent: false, httpStatus: null });
    expect(f.message).toContain('ECONNREFUSED');
  });

  it('re-sends after connect failures within the same call and succeeds once the provider is reachable', async () => {
    let lookups = 0;
    const flaky: LookupFunction = (hostname, o, cb) => {
      lookups++;
      if (lookups < 3)
        return cb(Object.assign(new Error(`getaddrinfo EAI_AGAIN ${hostname}`), { code: 'EAI_AGAIN' }), '');
      return o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
    };
    const transport = createHttpTransport({ allowPrivate: true, lookup: flaky });
    const retrying = createTokenClient({ allowPrivateUrls: true, transport, retryDelayMs: 10 });
    provider.reply(200, { access_token: 'at' });
    const integration = anIntegration({ tokenUrl: `http://token.example:${provider.port}/token` });
    expect(tokensOf(await retrying.refresh(aGrant({ integration }), { timeoutMs: 2000 })).accessToken).toBe(
      'at',
    );
    expect(lookups).toBe(3);
    expect(provider.requests).toHaveLength(1);
    transport.close();
  });

  it('gives up after retryConnectErrors re-sends', async () => {
    let attempts = 0;
    const inner = createHttpTransport({ allowPrivate: true });
    const counting: HttpTransport = {
      request: (...args) => {
        attempts++;
        return inner.request(...args);
      },
      close: () => inner.close(),
    };
    const port = await aClosedPort();
    const once = createTokenClient({
      allowPrivateUrls: true,
      transport: counting,
      retryConnectErrors: 1,
      retryDelayMs: 10,
    });
    const integration = anIntegration({ tokenUrl: `http://127.0.0.1:${port}/token` });
    expect(failureOf(await once.refresh(aGrant({ integration }), { timeoutMs: 2000 })).requestSent).toBe(
      false,
    );
    expect(attempts).toBe(2);
    counting.close();
  });

  it('a deadline hit while still connecting is provider_unavailable, not sent', async () => {
    const hanging: LookupFunction = () => undefined; // DNS never answers
    const transport = createHttpTransport({ allowPrivate: true, lookup: hanging, connectTimeoutMs: 5000 });
    const stuck = createTokenClient({ allowPrivateUrls: true, transport });
    const integration = anIntegration({ tokenUrl: 'http://token.example/token' });
    const f = failureOf(await stuck.refresh(aGrant({ integration }), { timeoutMs: TIMEOUT_MS }));
    expect(f).toMatchObject({ code: 'provider_unavailable', requestSent: false });
    expect(f.message).toContain(`${TIMEOUT_MS} ms`);
    transport.close();
  });

  it('a server that accepts and never answers is ambiguous after timeoutMs', async () => {
    provider.handle(() => undefined);
    const started = Date.now();
    const f = failureOf(await refresh());
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
    expect(f).toMatchObject({ code: 'ambiguous', requestSent: true });
    expect(provider.requests).toHaveLength(1); // never re-sent
  });

  it('a server that destroys the socket after reading the request is ambiguous, not re-sent', async () => {
    provider.handle((_req, res) => res.socket?.destroy());
    const f = failureOf(await refresh());
    expect(f).toMatchObject({ code: 'ambiguous', requestSent: true });
    expect(provider.requests).toHaveLength(1);
  });

  it('a body cut off mid-response is ambiguous', async () => {
    provider.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"access_token":"at-', () => res.socket?.destroy());
    });
    expect(failureOf(await refresh())).toMatchObject({
      code: 'ambiguous',
      requestSent: true,
      httpStatus: 200,
    });
  });
});

describe('TokenClient.refresh over real HTTPS', () => {
  const tokenBody = JSON.stringify({ access_token: 'at-tls' });
  const tls = createHttpsServer({ key: TLS_KEY, cert: TLS_CERT }, (req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(tokenBody));
  });
  let tlsUrl = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    tlsUrl = `https://localhost:${(tls.address() as AddressInfo).port}/token`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        tls.closeAllConnections();
        tls.close(() => resolve());
      }),
  );

  it('succeeds against a certificate the transport trusts, and sends a user-agent', async () => {
    let userAgent: string | undefined;
    tls.once('request', (req) => {
      userAgent = req.headers['user-agent'];
    });
    const transport = createHttpTransport({ allowPrivate: true, ca: TLS_CERT });
    const trusting = createTokenClient({ allowPrivateUrls: true, transport });
    const integration = anIntegration({ tokenUrl: tlsUrl });
    expect(tokensOf(await trusting.refresh(aGrant({ integration }), { timeoutMs: 2000 })).accessToken).toBe(
      'at-tls',
    );
    expect(userAgent).toBe('oauth-refresher/1');
    transport.close();
  });

  it('an untrusted (self-signed) certificate is provider_unavailable and not sent', async () => {
    let requests = 0;
    const count = () => {
      requests++;
    };
    tls.on('request', count);
    const integration = anIntegration({ tokenUrl: tlsUrl });
    const f = failureOf(await client.refresh(aGrant({ integration }), { timeoutMs: 2000 }));
    tls.off('request', count);
    expect(f).toMatchObject({ code: 'provider_unavailable', requestSent: false, httpStatus: null });
    expect(f.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(requests).toBe(0);
  });

  it('a TLS handshake that never completes hits the connect timeout: provider_unavailable, not sent', async () => {
    // Accepts TCP and reads the ClientHello, never answers it.
    const silent = createTcpServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const transport = createHttpTransport({ allowPrivate: true, connectTimeoutMs: 100 });
    const stalled = createTokenClient({ allowPrivateUrls: true, transport, retryConnectErrors: 0 });
    const integration = anIntegration({ tokenUrl: `https://127.0.0.1:${port}/token` });
    const f = failureOf(await stalled.refresh(aGrant({ integration }), { timeoutMs: 5000 }));
    expect(f).toMatchObject({ code: 'provider_unavailable', requestSent: false });
    expect(f.message).toContain('ETIMEDOUT_CONNECT');
    transport.close();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
});

describe('TokenClient.refresh: SSRF guard', () => {
  it('with private URLs disallowed, a token URL on 127.0.0.1 is refused before sending', async () => {
    const strict = createTokenClient();
    const f = failureOf(await strict.refresh(grant(), { timeoutMs: TIMEOUT_MS }));
    expect(f).toMatchObject({ code: 'client_misconfigured', requestSent: false });
    expect(f.message).toMatch(/not allowed/);
    expect(provider.requests).toHaveLength(0);
  });

  it('a name resolving to loopback is refused at connect time and classified', async () => {
    const lookup: LookupFunction = (_h, o, cb) =>
      o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
    const transport = createHttpTransport({ allowPrivate: false, lookup });
    const guarded = createTokenClient({
      allowPrivateUrls: true, // pass the static check (http), leave the connect-time guard on
      transport,
    });
    provider.reply(200, { access_token: 'at' });
    const integration = anIntegration({ tokenUrl: `http://token.example:${provider.port}/token` });
    const f = failureOf(await guarded.refresh(aGrant({ integration }), { timeoutMs: TIMEOUT_MS }));
    expect(f).toMatchObject({ code: 'client_misconfigured', requestSent: false });
    expect(f.message).toMatch(/not allowed/);
    expect(provider.requests).toHaveLength(0);
    transport.close();
  });

  it('with private URLs allowed, the same URL works', async () => {
    provider.reply(200, { access_token: 'at' });
    expect(tokensOf(await refresh()).accessToken).toBe('at');
    expect(provider.requests).toHaveLength(1);
  });
});
