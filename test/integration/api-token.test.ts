import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionView } from '../../shared/api/schemas/connections';
import type { AccessTokenView } from '../../shared/api/schemas/token';
import { fenceOf } from '../../shared/ports/store';
import { refreshConnection } from '../../shared/refresh/refresh-connection';
import { decryptSecrets } from '../../shared/refresh/secrets';
import { type ErrorBody, problems } from '../support/api-client';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';

// api.md `GET .../token` (the hot path) through the real local runtime, against oidc-provider with
// strict rotation (a refresh token presented twice revokes the grant) and a provider double in front
// of it for outages. reliability.md promises 1 and 16 as seen by API clients.
describe('token endpoint', () => {
  let svc: TestRuntime;
  let oidc: OidcHarness;
  let double: ProviderDouble;
  const refreshTokens = new Set<string>();
  const clientSecrets: string[] = [];
  const conn = (iid: string, cid: string) => `/v1/integrations/${iid}/connections/${cid}`;

  async function token(iid: string, cid: string, query = '') {
    const res = await svc.api.get<AccessTokenView & ErrorBody>(`${conn(iid, cid)}/token${query}`);
    if (res.status === 200) rememberSecret(res.body.access_token);
    return res;
  }

  /** Imports a connection holding a fresh oidc-provider grant; `expiresIn` may be negative (expired). */
  async function importGrant(iid: string, cid: string, expiresIn: number) {
    const refreshToken = await oidc.mintRefreshToken({ clientId: oidc.clients[0]?.id ?? '' });
    const accessToken = `at-${cid}-${randomBytes(8).toString('hex')}`;
    rememberSecret(refreshToken, accessToken);
    refreshTokens.add(refreshToken);
    const res = await svc.api.put<ConnectionView>(conn(iid, cid), {
      access_token: accessToken,
      refresh_token: refreshToken,
      expires_at: new Date(Date.now() + expiresIn * 1_000).toISOString(),
      token_type: 'Bearer',
      scope: 'openid offline_access',
    });
    expect(res.status).toBe(201);
    return { accessToken, refreshToken, key: { integrationId: iid, connectionId: cid } };
  }

  beforeAll(async () => {
    oidc = await startOidcProvider({ rotation: 'strict', accessTokenTtlSeconds: 3600 });
    double = await startProviderDouble({ upstream: oidc.tokenUrl });
    svc = await startTestRuntime();
    const client = oidc.clients[0];
    if (client === undefined) throw new Error('no oidc client');
    rememberSecret(client.secret);
    clientSecrets.push(client.secret);
    for (const [id, tokenUrl] of [
      ['oidc', oidc.tokenUrl],
      ['flaky', double.url],
    ] as const) {
      const res = await svc.api.put(`/v1/integrations/${id}`, {
        provider: 'custom',
        client_id: client.id,
        client_secret: client.secret,
        token_url: tokenUrl,
        client_auth: 'client_secret_basic',
        rotates_refresh_token: true,
        reuse_grace_seconds: 0,
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await svc?.stop();
    await Promise.all([oidc?.close(), double?.close()]);
  });
  beforeEach(() => {
    oidc.resetStats();
    double.setMode('proxy');
  });

  it('returns a fresh token as stored, without calling the provider', async () => {
    const { accessToken } = await importGrant('oidc', 'fresh', 3600);
    const res = await token('oidc', 'fresh');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_at: expect.stringMatching(/Z$/),
      scope: 'openid offline_access',
      status: 'active',
    });
    expect((await token('oidc', 'fresh', '?min_validity_seconds=3000')).body.access_token).toBe(accessToken);
    expect(oidc.stats().requests).toBe(0);
  });

  it('refreshes exactly once when min_validity_seconds exceeds the remaining lifetime', async () => {
    const { accessToken } = await importGrant('oidc', 'short', 120);
    const before = Date.now();
    const res = await token('oidc', 'short', '?min_validity_seconds=300');
    expect(res.status).toBe(200);
    expect(res.body.access_token).not.toBe(accessToken);
    expect(res.body.status).toBe('active');
    expect(Date.parse(res.body.expires_at ?? '')).toBeGreaterThanOrEqual(before + 3_590_000);
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });

    expect((await token('oidc', 'short', '?min_validity_seconds=300')).body.access_token).toBe(
      res.body.access_token,
    );
    expect(oidc.stats().refreshGrants).toBe(1);
  });

  it('with a provider lifetime shorter than min_validity_seconds, makes one refresh per call and returns it', async () => {
    await importGrant('oidc', 'too-short', 3600);
    const first = await token('oidc', 'too-short', '?min_validity_seconds=7200');
    expect(first.status).toBe(200);
    expect(oidc.stats().refreshGrants).toBe(1);
    const second = await token('oidc', 'too-short', '?min_validity_seconds=7200');
    expect(second.status).toBe(200);
    expect(second.body.access_token).not.toBe(first.body.access_token);
    expect(oidc.stats()).toMatchObject({ refreshGrants: 2, invalidGrant: 0 });
  });

  it('force_refresh=true refreshes a fresh token once', async () => {
    const { accessToken } = await importGrant('oidc', 'forced', 3600);
    const res = await token('oidc', 'forced', '?force_refresh=true');
    expect(res.status).toBe(200);
    expect(res.body.access_token).not.toBe(accessToken);
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
    expect((await token('oidc', 'forced', '?force_refresh=false')).body.access_token).toBe(
      res.body.access_token,
    );
  });

  it('30 concurrent requests for an expired token share one grant and get the same new token', async () => {
    const { accessToken } = await importGrant('oidc', 'herd', -5);
    const answers = await Promise.all(Array.from({ length: 30 }, () => token('oidc', 'herd')));
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
    const tokens = new Set(answers.map((a) => a.body.access_token));
    expect(tokens.size).toBe(1);
    expect(tokens.has(accessToken)).toBe(false);
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
  });

  it('the same while a scheduled refresh of that connection runs concurrently', async () => {
    const rt = svc.local.functions.api;
    const { key } = await importGrant('oidc', 'herd-scheduled', -5);
    const [scheduled, ...answers] = await Promise.all([
      refreshConnection(rt.refresh, key, { trigger: 'scheduled' }),
      ...Array.from({ length: 30 }, () => token('oidc', 'herd-scheduled')),
    ]);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const tokens = new Set(answers.map((a) => a.body.access_token));
    expect(tokens.size).toBe(1);
    if (scheduled?.outcome === 'refreshed') expect(tokens.has(scheduled.secrets.access_token)).toBe(true);
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
  });

  it('the same while a scheduler scan enqueues the connection for the refresher', async () => {
    await importGrant('oidc', 'herd-scan', -5);
    const [, ...answers] = await Promise.all([
      svc.local.runScanNow(),
      ...Array.from({ length: 30 }, () => token('oidc', 'herd-scan')),
    ]);
    expect(new Set(answers.map((a) => a.body.access_token)).size).toBe(1);
    // Let the refresher take whatever the scan enqueued. A task that met the API's lease is not
    // acknowledged but comes back after the visibility timeout; what it then finds is what a
    // scheduled refresh finds now: nothing left to do.
    await until('the refresher to take the scan task', async () => {
      const { Attributes: a } = await svc.local.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: svc.local.queues.refresh, AttributeNames: ['All'] }),
      );
      return a?.ApproximateNumberOfMessages === '0';
    });
    const rt = svc.local.functions.api;
    const key = { integrationId: 'oidc', connectionId: 'herd-scan' };
    await until('the lease to be given back', async () => (await rt.store.get(key))?.leaseUntil === null);
    expect((await refreshConnection(rt.refresh, key, { trigger: 'scheduled' })).outcome).toBe('not_needed');
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
    expect((await token('oidc', 'herd-scan')).body.access_token).toBe(answers[0]?.body.access_token);
  });

  it('serves a still-valid token with status failing while the provider is down (serve-while-valid)', async () => {
    const { accessToken } = await importGrant('flaky', 'outage', 120);
    double.setMode({ mode: 'status', status: 503 });
    const res = await token('flaky', 'outage', '?min_validity_seconds=300');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ access_token: accessToken, status: 'failing' });
    const view = await svc.api.get<ConnectionView>(conn('flaky', 'outage'));
    expect(view.body).toMatchObject({ status: 'failing', last_error: { code: 'provider_unavailable' } });

    // In backoff: served again without another provider call; a fresh-enough read says failing too.
    const calls = double.requests.count;
    expect((await token('flaky', 'outage', '?min_validity_seconds=300')).body).toMatchObject({
      access_token: accessToken,
      status: 'failing',
    });
    expect((await token('flaky', 'outage')).body).toMatchObject({
      access_token: accessToken,
      status: 'failing',
    });
    expect(double.requests.count).toBe(calls);
  });

  it('without a valid token: 503 provider_unavailable with Retry-After, or 502 provider_error', async () => {
    await importGrant('flaky', 'outage-expired', -5);
    double.setMode({ mode: 'status', status: 503, headers: { 'retry-after': '9' } });
    const down = await token('flaky', 'outage-expired');
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('provider_unavailable');
    expect(down.headers.get('retry-after')).toBe('9');

    await importGrant('flaky', 'bad-client', -5);
    double.setMode({ mode: 'status', status: 401, body: { error: 'invalid_client' } });
    const bad = await token('flaky', 'bad-client');
    expect(bad.status).toBe(502);
    expect(bad.body.error).toMatchObject({
      code: 'provider_error',
      details: { provider_error: 'invalid_client' },
    });
  });

  it('answers 424 reauth_required with the connection once the grant is revoked', async () => {
    const { refreshToken } = await importGrant('oidc', 'revoked', -5);
    await oidc.revokeGrant(refreshToken);
    const res = await token('oidc', 'revoked');
    expect(res.status).toBe(424);
    expect(res.body.error.code).toBe('reauth_required');
    expect(res.body.error.details).toMatchObject({
      connection: { connection_id: 'revoked', status: 'needs_reauth', last_error: { code: 'revoked' } },
    });
    const requests = oidc.stats().requests;
    expect((await token('oidc', 'revoked', '?force_refresh=true')).status).toBe(424);
    expect(oidc.stats().requests).toBe(requests);
  });

  it('answers 503 refresh_in_progress with Retry-After when another worker holds the refresh too long', async () => {
    const rt = svc.local.functions.api;
    const { key } = await importGrant('oidc', 'stuck', -5);
    const held = await rt.store.acquireLease(key, {
      owner: 'another-process',
      now: Date.now(),
      leaseMs: 60_000,
    });
    const started = Date.now();
    const res = await token('oidc', 'stuck');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('refresh_in_progress');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000); // it waited (about 10 s) first
    expect(oidc.stats().requests).toBe(0);
    await rt.store.releaseLease(key, fenceOf(held));
  }, 30_000);

  it('answers 400 with details for invalid query values, 404 for unknown connections', async () => {
    for (const [query, field] of [
      ['min_validity_seconds=-1', 'query.min_validity_seconds'],
      ['min_validity_seconds=86401', 'query.min_validity_seconds'],
      ['min_validity_seconds=soon', 'query.min_validity_seconds'],
      ['min_validity_seconds=1.5', 'query.min_validity_seconds'],
      ['force_refresh=yes', 'query.force_refresh'],
    ] as const) {
      const res = await token('oidc', 'fresh', `?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(Object.keys(problems(res.body))).toEqual([field]);
    }
    for (const [iid, cid] of [
      ['oidc', 'nobody'],
      ['nope', 'fresh'],
    ] as const) {
      const res = await token(iid, cid);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('never returns a refresh token or a client secret', async () => {
    const rt = svc.local.functions.api;
    for (const cid of [
      'fresh',
      'short',
      'too-short',
      'forced',
      'herd',
      'herd-scheduled',
      'herd-scan',
      'revoked',
    ]) {
      const stored = await rt.store.get({ integrationId: 'oidc', connectionId: cid });
      const current = stored === null ? null : (await decryptSecrets(rt.keyring, stored)).refresh_token;
      if (current !== null) {
        rememberSecret(current);
        refreshTokens.add(current);
      }
    }
    expect(refreshTokens.size).toBeGreaterThan(10);
    expect(svc.api.leaked([...refreshTokens, ...clientSecrets])).toEqual([]);
    expect(svc.api.bodies.some((b) => /"refresh_token"\s*:/.test(b))).toBe(false);
  });
});
