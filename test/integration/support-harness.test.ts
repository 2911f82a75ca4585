import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';

interface TokenReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function refresh(
  url: string,
  client: { id: string; secret: string },
  refreshToken: string,
  auth: 'basic' | 'post' = 'basic',
  signal?: AbortSignal,
): Promise<TokenReply> {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (auth === 'basic') {
    const credentials = `${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else {
    form.set('client_id', client.id);
    form.set('client_secret', client.secret);
  }
  const res = await fetch(url, { method: 'POST', headers, body: form, ...(signal ? { signal } : {}) });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

function firstClient(harness: OidcHarness): { id: string; secret: string } {
  const client = harness.clients[0];
  if (!client) throw new Error('harness has no client');
  return client;
}

describe('oidc-provider harness (strict rotation)', () => {
  let oidc: OidcHarness;
  beforeAll(async () => {
    oidc = await startOidcProvider({ clients: 2, accessTokenTtlSeconds: 60 });
  });
  afterAll(async () => {
    await oidc?.close();
  });
  afterEach(() => {
    oidc.setRotation('strict');
    oidc.resetStats();
  });

  it('rotates once; reuse of the old token yields invalid_grant and revokes the rotated one too', async () => {
    const client = firstClient(oidc);
    const rt0 = await oidc.mintRefreshToken({ clientId: client.id });

    const first = await refresh(oidc.tokenUrl, client, rt0);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', expires_in: 60 });
    expect(typeof first.body.access_token).toBe('string');
    const rt1 = first.body.refresh_token;
    expect(typeof rt1).toBe('string');
    expect(rt1).not.toBe(rt0);

    const reuse = await refresh(oidc.tokenUrl, client, rt0);
    expect(reuse.status).toBe(400);
    expect(reuse.body.error).toBe('invalid_grant');

    const rotated = await refresh(oidc.tokenUrl, client, String(rt1));
    expect(rotated.status).toBe(400);
    expect(rotated.body.error).toBe('invalid_grant');

    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 2, otherErrors: 0, requests: 3 });
  });

  it('accepts client_secret_basic and client_secret_post, for every client; rejects a wrong secret', async () => {
    for (const client of oidc.clients) {
      const viaBasic = await refresh(
        oidc.tokenUrl,
        client,
        await oidc.mintRefreshToken({ clientId: client.id }),
        'basic',
      );
      expect(viaBasic.status).toBe(200);
      const viaPost = await refresh(
        oidc.tokenUrl,
        client,
        await oidc.mintRefreshToken({ clientId: client.id }),
        'post',
      );
      expect(viaPost.status).toBe(200);
    }
    const client = firstClient(oidc);
    const rt = await oidc.mintRefreshToken({ clientId: client.id });
    const wrong = await refresh(oidc.tokenUrl, { id: client.id, secret: 'nope' }, rt);
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect(oidc.stats()).toMatchObject({ refreshGrants: 4, invalidGrant: 0, otherErrors: 1, requests: 5 });
  });

  it("rotation 'none' keeps the same refresh token valid", async () => {
    oidc.setRotation('none');
    const client = firstClient(oidc);
    const rt = await oidc.mintRefreshToken({ clientId: client.id });
    for (let i = 0; i < 3; i += 1) {
      const reply = await refresh(oidc.tokenUrl, client, rt);
      expect(reply.status).toBe(200);
      expect(reply.body.refresh_token).toBe(rt);
    }
    expect(oidc.stats().refreshGrants).toBe(3);
  });

  it('revokeGrant makes the next refresh fail with invalid_grant', async () => {
    const client = firstClient(oidc);
    const rt = await oidc.mintRefreshToken({ clientId: client.id });
    await oidc.revokeGrant(rt);
    const reply = await refresh(oidc.tokenUrl, client, rt);
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('invalid_grant');
    expect(oidc.stats()).toMatchObject({ refreshGrants: 0, invalidGrant: 1 });
  });

  it('concurrent use of one refresh token: one success, the rest invalid_grant, grant revoked', async () => {
    const client = firstClient(oidc);
    const rt = await oidc.mintRefreshToken({ clientId: client.id });
    const replies = await Promise.all(Array.from({ length: 5 }, () => refresh(oidc.tokenUrl, client, rt)));
    const ok = replies.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(replies.filter((r) => r.body.error === 'invalid_grant')).toHaveLength(4);
    const winner = ok[0]?.body.refresh_token;
    expect((await refresh(oidc.tokenUrl, client, String(winner))).body.error).toBe('invalid_grant');
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 5 });
  });

  it('authorize() completes the code flow without a browser (connect-flow support)', async () => {
    const client = firstClient(oidc);
    const auth = new URL(oidc.authorizationUrl);
    auth.search = new URLSearchParams({
      client_id: client.id,
      response_type: 'code',
      redirect_uri: oidc.redirectUri,
      scope: 'openid offline_access',
      prompt: 'consent',
      state: 'st-1',
      login_hint: 'user-42',
    }).toString();
    const callback = await oidc.authorize(auth);
    expect(`${callback.origin}${callback.pathname}`).toBe(oidc.redirectUri);
    expect(callback.searchParams.get('state')).toBe('st-1');
    expect(callback.searchParams.get('iss')).toBe(oidc.issuer);
    const code = callback.searchParams.get('code');
    expect(code).toBeTruthy();

    const res = await fetch(oidc.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: String(code),
        redirect_uri: oidc.redirectUri,
        client_id: client.id,
        client_secret: client.secret,
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(typeof body.refresh_token).toBe('string');
    expect(oidc.stats().codeGrants).toBe(1);
    expect((await refresh(oidc.tokenUrl, client, String(body.refresh_token))).status).toBe(200);
  });
});

describe('provider double', () => {
  let oidc: OidcHarness;
  let double: ProviderDouble;
  let clock = 1_000_000;
  beforeAll(async () => {
    oidc = await startOidcProvider();
    double = await startProviderDouble({ upstream: oidc.tokenUrl, graceSeconds: 30, now: () => clock });
  });
  afterAll(async () => {
    await double?.close();
    await oidc?.close();
  });
  afterEach(() => {
    double.setMode('proxy');
    double.resetRequests();
    oidc.resetStats();
  });

  it('proxies to oidc-provider and records the request', async () => {
    const client = firstClient(oidc);
    const rt = await oidc.mintRefreshToken({ clientId: client.id });
    const reply = await refresh(double.url, client, rt, 'post');
    expect(reply.status).toBe(200);
    expect(reply.body.refresh_token).not.toBe(rt);
    expect(double.requests.count).toBe(1);
    expect(double.requests.last?.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: rt });
    expect(double.requests.last?.clientAuth).toMatchObject({
      method: 'client_secret_post',
      clientId: client.id,
    });
    expect(oidc.stats().refreshGrants).toBe(1);
  });

  it('status mode: 503, and 429 with Retry-After', async () => {
    const client = firstClient(oidc);
    double.setMode({ mode: 'status', status: 503 });
    const unavailable = await refresh(double.url, client, 'whatever');
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.error).toBe('temporarily_unavailable');

    double.setMode({
      mode: 'status',
      status: 429,
      headers: { 'retry-after': '30' },
      body: { error: 'rate_limited' },
    });
    const limited = await refresh(double.url, client, 'whatever');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(double.requests.last?.clientAuth).toMatchObject({
      method: 'client_secret_basic',
      clientId: client.id,
    });
    expect(oidc.stats().requests).toBe(0);
  });

  it('once(): a single 503, then back to proxying', async () => {
    const client = firstClient(oidc);
    const rt = await oidc.mintRefreshToken({ clientId: client.id });
    double.once({ mode: 'status', status: 503 });
    expect((await refresh(double.url, client, rt)).status).toBe(503);
    expect((await refresh(double.url, client, rt)).status).toBe(200);
    expect(double.requests.all.map((r) => r.mode)).toEqual(['status', 'proxy']);
  });

  it('rotate_then_drop: the client sees a socket error while the provider rotated', async () => {
    const client = firstClient(oidc);
    const rt = await oidc.mintRefreshToken({ clientId: client.id });
    double.setMode('rotate_then_drop');
    await expect(refresh(double.url, client, rt)).rejects.toThrow();
    expect(oidc.stats().refreshGrants).toBe(1);
    // The answer is lost: presenting the old token again now burns the grant.
    double.setMode('proxy');
    expect((await refresh(double.url, client, rt)).body.error).toBe('invalid_grant');
  });

  it('slow and hang modes', async () => {
    const client = firstClient(oidc);
    const rt = await oidc.mintRefreshToken({ clientId: client.id });
    double.setMode({ mode: 'slow', delayMs: 150 });
    const started = Date.now();
    expect((await refresh(double.url, client, rt)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    double.resetRequests();
    double.setMode({ mode: 'status', status: 503 });
    double.once({ mode: 'slow', delayMs: 100 });
    double.once({ mode: 'slow', delayMs: 100 });
    double.once({ mode: 'slow', delayMs: 100 });
    await Promise.all([1, 2, 3].map(() => refresh(double.url, client, 'x')));
    expect(double.requests.maxConcurrent).toBe(3);

    double.setMode('hang');
    await expect(refresh(double.url, client, 'x', 'basic', AbortSignal.timeout(100))).rejects.toThrow(
      /abort|timeout/i,
    );
    expect(double.requests.count).toBe(4);
  });

  it('grace mode: reuse within grace is fine, outside it revokes the family', async () => {
    double.setMode({ mode: 'grace', graceSeconds: 30 });
    const client = { id: 'any', secret: 'any' };
    const rt0 = double.mintFamily();
    expect(rt0).toMatch(/^rt_\d+_/);

    const first = await refresh(double.url, client, rt0);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(first.body.access_token).toMatch(/^at_\d+_/);
    const rt1 = String(first.body.refresh_token);
    expect(rt1).not.toBe(rt0);

    clock += 10_000;
    const withinGrace = await refresh(double.url, client, rt0);
    expect(withinGrace.status).toBe(200);
    expect(withinGrace.body.refresh_token).toBe(rt1);
    expect(double.localStats.reuseWithinGrace).toBe(1);

    clock += 30_000;
    const outside = await refresh(double.url, client, rt0);
    expect(outside.status).toBe(400);
    expect(outside.body.error).toBe('invalid_grant');
    expect(double.family(rt1)?.revoked).toBe(true);
    expect((await refresh(double.url, client, rt1)).body.error).toBe('invalid_grant');
    expect(oidc.stats().requests).toBe(0);
  });

  it('strict_local mode: any reuse revokes the family', async () => {
    double.setMode('strict_local');
    const client = { id: 'any', secret: 'any' };
    const rt0 = double.mintFamily();
    const rt1 = String((await refresh(double.url, client, rt0)).body.refresh_token);
    expect((await refresh(double.url, client, rt0)).body.error).toBe('invalid_grant');
    expect((await refresh(double.url, client, rt1)).body.error).toBe('invalid_grant');
    expect(double.family(rt0)).toMatchObject({ revoked: true, rotations: 1 });
  });

  it('omit_refresh_token mode: no refresh_token in the answer, the same token keeps working', async () => {
    double.setMode('omit_refresh_token');
    const client = { id: 'any', secret: 'any' };
    const rt = double.mintFamily({ scope: 'read' });
    for (let i = 0; i < 2; i += 1) {
      const reply = await refresh(double.url, client, rt);
      expect(reply.status).toBe(200);
      expect(reply.body).not.toHaveProperty('refresh_token');
      expect(reply.body).toMatchObject({ token_type: 'Bearer', scope: 'read' });
    }
  });
});
