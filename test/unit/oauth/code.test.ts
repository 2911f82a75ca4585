import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTokenEndpoint } from '../../../shared/adapters/http/token-client';
import { isServiceError } from '../../../shared/errors';
import {
  buildAuthorizationUrl,
  buildCodeRequest,
  type CodeGrantInput,
  codeChallengeS256,
  exchangeAuthorizationCode,
  generateCodeVerifier,
} from '../../../shared/oauth/code';
import type { RefreshOutcome } from '../../../shared/oauth/types';
import { rememberSecret } from '../../support/secrets';
import {
  anIntegration,
  CLIENT_ID,
  CLIENT_SECRET,
  type FakeProvider,
  NOW,
  startFakeProvider,
} from './fixtures';

const CODE = 'auth-code-7c1d2e3f4a5b';
const VERIFIER = generateCodeVerifier();
const REDIRECT_URI = 'https://refresher.example/v1/oauth/callback';
rememberSecret(CODE, VERIFIER, CLIENT_SECRET);

const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('PKCE (RFC 7636)', () => {
  it('derives the S256 challenge of RFC 7636 Appendix B', () => {
    expect(codeChallengeS256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('generates 43-character unreserved verifiers, a new one every time', () => {
    const verifiers = new Set(Array.from({ length: 100 }, generateCodeVerifier));
    expect(verifiers.size).toBe(100);
    for (const v of verifiers) expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('gives base64url challenges without padding', () => {
    expect(codeChallengeS256(VERIFIER)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('buildAuthorizationUrl', () => {
  const input = { state: 'state-1', codeChallenge: 'challenge-1', redirectUri: REDIRECT_URI, urlParams: {} };
  const build = (overrides: Parameters<typeof anIntegration>[0] = {}, params: Partial<typeof input> = {}) =>
    new URL(
      buildAuthorizationUrl(
        anIntegration({ authorizationUrl: 'https://provider.example/oauth/authorize', ...overrides }),
        { ...input, ...params },
      ),
    );

  it('asks for a code with the client, callback, space-joined scopes, state and an S256 challenge', () => {
    const url = build({ scopes: ['openid', 'offline_access', 'read:all'] });
    expect(url.origin + url.pathname).toBe('https://provider.example/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      scope: 'openid offline_access read:all',
      state: 'state-1',
      code_challenge: 'challenge-1',
      code_challenge_method: 'S256',
    });
    // Spaces in scope are form-encoded in the query (RFC 6749 Appendix B).
    expect(url.search).toContain('scope=openid+offline_access+read%3Aall');
  });

  it('adds the integration authorization_params and keeps query parameters of the configured URL', () => {
    const url = build({
      authorizationUrl: 'https://provider.example/authorize?tenant_hint=acme',
      authorizationParams: { access_type: 'offline', prompt: 'consent' },
    });
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('tenant_hint')).toBe('acme');
  });

  it('does not let authorization_params override state, PKCE, client, redirect or the scopes', () => {
    const url = build({
      scopes: ['read'],
      authorizationParams: {
        state: 'evil',
        code_challenge: 'evil',
        code_challenge_method: 'plain',
        client_id: 'evil',
        redirect_uri: 'https://evil.example/',
        response_type: 'token',
        scope: 'admin',
      },
    });
    expect(url.searchParams.getAll('state')).toEqual(['state-1']);
    expect(url.searchParams.getAll('code_challenge')).toEqual(['challenge-1']);
    expect(url.searchParams.getAll('code_challenge_method')).toEqual(['S256']);
    expect(url.searchParams.getAll('client_id')).toEqual([CLIENT_ID]);
    expect(url.searchParams.getAll('redirect_uri')).toEqual([REDIRECT_URI]);
    expect(url.searchParams.getAll('response_type')).toEqual(['code']);
    expect(url.searchParams.getAll('scope')).toEqual(['read']);
  });

  it('omits scope when the integration lists none (authorization_params may then give it)', () => {
    expect(build({ scopes: [] }).searchParams.has('scope')).toBe(false);
    expect(build({ scopes: [], authorizationParams: { scope: 'x y' } }).searchParams.get('scope')).toBe(
      'x y',
    );
  });

  it('fills {placeholders} from urlParams, refusing unsafe values', () => {
    const integration = { authorizationUrl: 'https://login.example/{tenant}/oauth2/authorize' };
    expect(build(integration, { urlParams: { tenant: 'contoso' } }).pathname).toBe(
      '/contoso/oauth2/authorize',
    );
    const missing = thrown(() => build(integration));
    expect(isServiceError(missing, 'invalid_url')).toBe(true);
    expect((missing as Error).message).toMatch(/authorization URL placeholder \{tenant\} has no value/);
    const unsafe = thrown(() => build(integration, { urlParams: { tenant: 'evil.example/x?' } }));
    expect(isServiceError(unsafe, 'invalid_url')).toBe(true);
  });

  it('refuses an integration without an authorization URL', () => {
    const error = thrown(() => build({ authorizationUrl: null }));
    expect(isServiceError(error, 'config_invalid')).toBe(true);
  });
});

describe('buildCodeRequest (RFC 6749 §4.1.3 + RFC 7636 §4.5)', () => {
  const grant = (overrides: Partial<CodeGrantInput> = {}): CodeGrantInput => ({
    integration: anIntegration({ refreshParams: { audience: 'not-for-codes' } }),
    clientSecret: CLIENT_SECRET,
    code: CODE,
    codeVerifier: VERIFIER,
    redirectUri: REDIRECT_URI,
    urlParams: {},
    now: NOW,
    ...overrides,
  });

  it('client_secret_basic: grant parameters in the body, credentials in the header', () => {
    const request = buildCodeRequest(
      grant({ integration: anIntegration({ clientAuth: 'client_secret_basic' }) }),
    );
    expect(request.headers.authorization).toMatch(/^Basic /);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'authorization_code',
      code: CODE,
      redirect_uri: REDIRECT_URI,
      code_verifier: VERIFIER,
    });
  });

  it('client_secret_post: client_id and client_secret in the body; no refresh_params', () => {
    const request = buildCodeRequest(grant());
    expect(request.headers.authorization).toBeUndefined();
    const body = new URLSearchParams(request.body);
    expect(body.get('client_id')).toBe(CLIENT_ID);
    expect(body.get('client_secret')).toBe(CLIENT_SECRET);
    expect(body.has('audience')).toBe(false);
  });

  it('public client: client_id only', () => {
    const body = new URLSearchParams(buildCodeRequest(grant({ clientSecret: null })).body);
    expect(body.get('client_id')).toBe(CLIENT_ID);
    expect(body.has('client_secret')).toBe(false);
  });
});

describe('exchangeAuthorizationCode over real HTTP', () => {
  let provider: FakeProvider;
  const endpoint = createTokenEndpoint({ allowPrivateUrls: true, retryDelayMs: 10 });
  const call = { timeoutMs: 500 };
  const grant = (overrides: Partial<CodeGrantInput> = {}): CodeGrantInput => ({
    integration: anIntegration({ tokenUrl: `${provider.origin}/token`, clientAuth: 'client_secret_basic' }),
    clientSecret: CLIENT_SECRET,
    code: CODE,
    codeVerifier: VERIFIER,
    redirectUri: REDIRECT_URI,
    urlParams: {},
    now: NOW,
    ...overrides,
  });
  const failureText = (outcome: RefreshOutcome) => JSON.stringify(outcome.ok ? {} : outcome.failure);

  beforeAll(async () => {
    provider = await startFakeProvider();
  });
  afterAll(() => provider.close());
  beforeEach(() => {
    provider.requests.length = 0;
  });

  it('returns the parsed token set', async () => {
    provider.reply(200, {
      access_token: 'at-code-0001',
      refresh_token: 'rt-code-0001',
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'openid offline_access',
      id_token: 'x.y.z',
    });
    const outcome = await exchangeAuthorizationCode(endpoint, grant(), call);
    if (!outcome.ok) throw new Error(outcome.failure.message);
    expect(outcome.tokens).toMatchObject({
      accessToken: 'at-code-0001',
      refreshToken: 'rt-code-0001',
      tokenType: 'Bearer',
      scope: 'openid offline_access',
      expiresAt: NOW + 3_600_000,
      raw: { id_token: 'x.y.z' },
    });
    const [req] = provider.requests;
    expect(req?.method).toBe('POST');
    expect(new URLSearchParams(req?.body).get('code_verifier')).toBe(VERIFIER);
    expect(formDecode(new URLSearchParams(req?.body).get('redirect_uri') ?? '')).toBe(REDIRECT_URI);
  });

  it('classifies invalid_grant as a rejected code and scrubs the code, verifier and secret from provider text', async () => {
    provider.reply(400, {
      error: 'invalid_grant',
      error_description: `code ${CODE} with verifier ${VERIFIER} for ${CLIENT_SECRET} is invalid`,
    });
    const outcome = await exchangeAuthorizationCode(endpoint, grant(), call);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.failure.code).toBe('revoked');
    expect(outcome.failure.providerError).toBe('invalid_grant');
    expect(outcome.failure.message).toMatch(/authorization code/);
    for (const secret of [CODE, VERIFIER, CLIENT_SECRET]) expect(failureText(outcome)).not.toContain(secret);
  });

  it('reports a 5xx as provider_unavailable', async () => {
    provider.reply(503, { error: 'temporarily_unavailable' });
    const outcome = await exchangeAuthorizationCode(endpoint, grant(), call);
    expect(outcome.ok ? null : outcome.failure.code).toBe('provider_unavailable');
  });

  it('refuses a loopback token URL through the SSRF guard, sending nothing', async () => {
    const strict = createTokenEndpoint({ allowPrivateUrls: false });
    const outcome = await exchangeAuthorizationCode(strict, grant(), call);
    expect(outcome.ok ? null : outcome.failure).toMatchObject({
      code: 'client_misconfigured',
      requestSent: false,
    });
    expect(provider.requests).toHaveLength(0);
  });

  it('reports an unfillable token URL placeholder without sending', async () => {
    const integration = anIntegration({ tokenUrl: 'https://{subdomain}.provider.example/token' });
    const outcome = await exchangeAuthorizationCode(endpoint, grant({ integration }), call);
    expect(outcome.ok ? null : outcome.failure).toMatchObject({
      code: 'client_misconfigured',
      requestSent: false,
    });
  });
});
