import { describe, expect, it } from 'vitest';
import type { ResolvedIntegration } from '../../../shared/domain/integration';
import { parseRetryAfter } from '../../../shared/oauth/failure';
import { processRefreshResponse, type RefreshResponseInput } from '../../../shared/oauth/response';
import type { RefreshFailure, RefreshOutcome, TokenSet } from '../../../shared/oauth/types';
import { aJwt, anIntegration, CLIENT_SECRET, NOW, REFRESH_TOKEN, secretsIn } from './fixtures';

interface Answer {
  status?: number;
  body?: string | object;
  headers?: Record<string, string>;
  integration?: Partial<ResolvedIntegration>;
  previousLifetimeSeconds?: number | null;
}

function process(answer: Answer): RefreshOutcome {
  const body = answer.body ?? '';
  const input: RefreshResponseInput = {
    status: answer.status ?? 200,
    headers: new Headers({
      ...(typeof body === 'string' ? {} : { 'content-type': 'application/json' }),
      ...answer.headers,
    }),
    bodyText: typeof body === 'string' ? body : JSON.stringify(body),
    integration: anIntegration(answer.integration),
    previousLifetimeSeconds: answer.previousLifetimeSeconds ?? null,
    now: NOW,
    previousRefreshToken: REFRESH_TOKEN,
    secrets: [CLIENT_SECRET],
  };
  return processRefreshResponse(input);
}

function tokens(answer: Answer): TokenSet {
  const outcome = process(answer);
  if (!outcome.ok)
    throw new Error(`expected success, got ${outcome.failure.code}: ${outcome.failure.message}`);
  return outcome.tokens;
}

function failure(answer: Answer): RefreshFailure {
  const outcome = process(answer);
  if (outcome.ok) throw new Error('expected a failure');
  expect(secretsIn(outcome)).toEqual([]);
  return outcome.failure;
}

describe('processRefreshResponse: success', () => {
  it('reads the token set and keeps other fields as raw', () => {
    const t = tokens({
      body: {
        access_token: 'at-1',
        refresh_token: 'rt-2',
        token_type: 'Bearer',
        scope: 'a b',
        expires_in: 3600,
        id_token: 'idt',
        instance_url: 'https://na1.example',
        api_domain: 'api.example',
      },
    });
    expect(t).toEqual({
      accessToken: 'at-1',
      refreshToken: 'rt-2',
      tokenType: 'Bearer',
      scope: 'a b',
      expiresAt: NOW + 3_600_000,
      lifetimeSeconds: 3600,
      expirySource: 'expires_in',
      raw: { id_token: 'idt', instance_url: 'https://na1.example', api_domain: 'api.example' },
    });
  });

  it('accepts expires_in as a numeric string', () => {
    expect(tokens({ body: { access_token: 'a', expires_in: '1800' } })).toMatchObject({
      lifetimeSeconds: 1800,
      expiresAt: NOW + 1_800_000,
      expirySource: 'expires_in',
    });
  });

  it('uses expires_at in epoch seconds or ISO 8601', () => {
    const at = NOW / 1000 + 600;
    expect(tokens({ body: { access_token: 'a', expires_at: at } })).toMatchObject({
      expiresAt: NOW + 600_000,
      lifetimeSeconds: 600,
      expirySource: 'expires_at',
    });
    expect(
      tokens({ body: { access_token: 'a', expires_at: new Date(NOW + 900_000).toISOString() } }),
    ).toMatchObject({
      expiresAt: NOW + 900_000,
      expirySource: 'expires_at',
    });
  });

  it('falls back to the access token JWT exp', () => {
    const accessToken = aJwt({ sub: 'u', exp: NOW / 1000 + 1200 });
    expect(tokens({ body: { access_token: accessToken } })).toMatchObject({
      expiresAt: NOW + 1_200_000,
      lifetimeSeconds: 1200,
      expirySource: 'jwt_exp',
    });
  });

  it('ignores an exp already in the past and a non-JWT token', () => {
    const past = aJwt({ exp: NOW / 1000 - 5 });
    expect(tokens({ body: { access_token: past } }).expirySource).toBe('default');
    expect(tokens({ body: { access_token: 'a.b' } }).expirySource).toBe('default');
    expect(tokens({ body: { access_token: 'a.!!!.c' } }).expirySource).toBe('default');
  });

  it('falls back to the previous lifetime, then to the integration default', () => {
    expect(tokens({ body: { access_token: 'a' }, previousLifetimeSeconds: 7200 })).toMatchObject({
      lifetimeSeconds: 7200,
      expirySource: 'previous_lifetime',
    });
    const refresh = { ...anIntegration().refresh, defaultLifetimeSeconds: 1234 };
    expect(tokens({ body: { access_token: 'a' }, integration: { refresh } })).toMatchObject({
      lifetimeSeconds: 1234,
      expiresAt: NOW + 1_234_000,
      expirySource: 'default',
    });
  });

  it('treats a zero or garbage expires_in as absent instead of failing the refresh', () => {
    for (const expires_in of [0, -5, 'soon', null]) {
      const t = tokens({ body: { access_token: 'a', refresh_token: 'rt-new', expires_in } });
      expect(t.expirySource).toBe('default');
      expect(t.refreshToken).toBe('rt-new');
    }
  });

  it('non_expiring providers get no expiry when the response has none, but still honour one it has', () => {
    const integration = { expiryFallback: 'non_expiring' } as const;
    expect(tokens({ body: { access_token: 'a' }, integration })).toMatchObject({
      expiresAt: null,
      lifetimeSeconds: null,
      expirySource: 'non_expiring',
    });
    expect(tokens({ body: { access_token: 'a', expires_in: 60 }, integration }).expirySource).toBe(
      'expires_in',
    );
  });

  it('reports a missing or empty refresh_token as null (keep the old one)', () => {
    expect(tokens({ body: { access_token: 'a' } }).refreshToken).toBeNull();
    expect(tokens({ body: { access_token: 'a', refresh_token: '' } }).refreshToken).toBeNull();
  });

  it('reads a form-encoded body (GitHub without Accept: application/json)', () => {
    const t = tokens({
      body: 'access_token=ghu_abc&expires_in=28800&refresh_token=ghr_def&refresh_token_expires_in=15811200&scope=&token_type=bearer',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
    expect(t).toMatchObject({
      accessToken: 'ghu_abc',
      refreshToken: 'ghr_def',
      lifetimeSeconds: 28800,
      tokenType: 'bearer',
    });
    expect(t.raw).toEqual({ refresh_token_expires_in: '15811200' });
  });

  it('takes the token from token_path when the top level has none (Slack authed_user)', () => {
    const t = tokens({
      integration: { tokenPath: 'authed_user', errorsIn200Body: true },
      body: {
        ok: true,
        app_id: 'A1',
        team: { id: 'T1' },
        authed_user: {
          id: 'U1',
          scope: 'chat:write',
          access_token: 'xoxe.xoxp-1',
          refresh_token: 'xoxe-1-new',
          expires_in: 43200,
          token_type: 'user',
        },
      },
    });
    expect(t).toMatchObject({
      accessToken: 'xoxe.xoxp-1',
      refreshToken: 'xoxe-1-new',
      scope: 'chat:write',
      lifetimeSeconds: 43200,
    });
    expect(t.raw).toEqual({ ok: true, app_id: 'A1', team: { id: 'T1' }, authed_user: { id: 'U1' } });
  });

  it('joins an array scope', () => {
    expect(tokens({ body: { access_token: 'a', scope: ['x', 'y'] } }).scope).toBe('x y');
  });
});

describe('processRefreshResponse: classification (RFC 6749 §5.2 and quirks)', () => {
  it.each([
    ['invalid_grant', 400, 'revoked'],
    ['invalid_client', 401, 'client_misconfigured'],
    ['invalid_client', 400, 'client_misconfigured'],
    ['unauthorized_client', 400, 'client_misconfigured'],
    ['unsupported_grant_type', 400, 'client_misconfigured'],
    ['invalid_scope', 400, 'client_misconfigured'],
    ['invalid_request', 400, 'client_misconfigured'],
    ['slow_down', 400, 'rate_limited'],
    ['temporarily_unavailable', 400, 'provider_unavailable'],
    ['server_error', 400, 'provider_unavailable'],
    ['something_new', 400, 'invalid_response'],
    ['something_new', 401, 'client_misconfigured'],
    ['__proto__', 400, 'invalid_response'],
  ])('%s with HTTP %i → %s', (error, status, code) => {
    const f = failure({ status, body: { error, error_description: 'why' } });
    expect(f).toMatchObject({
      code,
      providerError: error,
      providerErrorDescription: 'why',
      httpStatus: status,
      requestSent: true,
    });
  });

  it.each([
    ['invalid_refresh_token', 'revoked'],
    ['token_revoked', 'revoked'],
    ['token_expired', 'revoked'],
    ['invalid_client_id', 'client_misconfigured'],
    ['bad_client_secret', 'client_misconfigured'],
    ['ratelimited', 'rate_limited'],
  ])('Slack 200 {ok:false, error: %s} → %s', (error, code) => {
    const f = failure({ integration: { errorsIn200Body: true }, body: { ok: false, error } });
    expect(f).toMatchObject({ code, providerError: error, httpStatus: 200 });
  });

  it.each([
    ['bad_refresh_token', 'revoked'],
    ['incorrect_client_credentials', 'client_misconfigured'],
  ])('GitHub 200 {error: %s} → %s, JSON or form-encoded', (error, code) => {
    expect(failure({ body: { error, error_description: 'd', error_uri: 'https://docs' } }).code).toBe(code);
    const form = `error=${error}&error_description=The+thing&error_uri=https%3A%2F%2Fdocs`;
    const f = failure({ body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(f).toMatchObject({ code, providerErrorDescription: 'The thing' });
  });

  it('a bare 401 or 403 is client_misconfigured', () => {
    expect(failure({ status: 401, body: '' }).code).toBe('client_misconfigured');
    expect(failure({ status: 403, body: '<html>Forbidden</html>' }).code).toBe('client_misconfigured');
  });

  it('429 is rate_limited with Retry-After as seconds or an HTTP date', () => {
    expect(failure({ status: 429, headers: { 'retry-after': '30' } })).toMatchObject({
      code: 'rate_limited',
      retryAfterSeconds: 30,
    });
    const date = new Date(NOW + 30_000).toUTCString();
    expect(failure({ status: 429, headers: { 'retry-after': date } }).retryAfterSeconds).toBe(30);
    expect(failure({ status: 429 }).retryAfterSeconds).toBeNull();
  });

  it('5xx is provider_unavailable, JSON or HTML, with Retry-After when given', () => {
    expect(failure({ status: 503, headers: { 'retry-after': '120' } })).toMatchObject({
      code: 'provider_unavailable',
      retryAfterSeconds: 120,
      httpStatus: 503,
    });
    expect(failure({ status: 502, body: '<html><body>Bad Gateway</body></html>' }).code).toBe(
      'provider_unavailable',
    );
  });

  it.each([
    ['a 200 HTML page', { status: 200, body: '<!doctype html><p>login</p>' }],
    ['a 200 without access_token', { status: 200, body: { token_type: 'Bearer' } }],
    ['a 200 with an empty access_token', { status: 200, body: { access_token: '' } }],
    ['a 200 JSON array', { status: 200, body: '[1,2]' }],
    ['a 200 truncated JSON', { status: 200, body: '{"access_token": "a' }],
    ['a 200 empty body', { status: 200, body: '' }],
    ['Slack ok:false without error', { status: 200, body: { ok: false } }],
    ['a redirect', { status: 302, headers: { location: 'http://169.254.169.254/' } }],
    ['a 404', { status: 404, body: 'not found' }],
    ['a 400 without an OAuth error', { status: 400, body: { message: 'bad' } }],
    [
      'token_path that leads nowhere',
      { status: 200, body: { ok: true }, integration: { tokenPath: 'authed_user' } },
    ],
  ] satisfies [string, Answer][])('%s is invalid_response', (_what, answer) => {
    expect(failure(answer).code).toBe('invalid_response');
  });

  it('scrubs the presented refresh token and the client secret from provider text, and truncates it', () => {
    const f = failure({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: `token ${REFRESH_TOKEN} (${encodeURIComponent(REFRESH_TOKEN)}) for secret ${CLIENT_SECRET} is bad ${'x'.repeat(900)}`,
      },
    });
    expect(f.providerErrorDescription).toMatch(
      /^token \[redacted\] \(\[redacted\]\) for secret \[redacted\] is bad x+…$/,
    );
    expect(f.providerErrorDescription?.length).toBeLessThanOrEqual(500);
    expect(f.message).not.toContain('x'.repeat(10));
  });

  it('never copies the body into the message', () => {
    const f = failure({ status: 500, body: `{"error":"server_error","debug":"${REFRESH_TOKEN}"}` });
    expect(f.message).not.toContain('debug');
  });
});

describe('parseRetryAfter', () => {
  it('handles seconds, dates in the past, and junk', () => {
    expect(parseRetryAfter(' 5 ', NOW)).toBe(5);
    expect(parseRetryAfter(new Date(NOW - 60_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter(null, NOW)).toBeNull();
  });
});
