import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps } from '../../bin/ops';
import { SCHEDULE_PAUSED_FILE } from '../../infra/local/control';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';

const ACCESS = 'ops-operate-access-token-0001';
const REFRESH = 'ops-operate-refresh-token-0001';
const SECRET = 'ops-operate-client-secret-01';
rememberSecret(ACCESS, REFRESH, SECRET);

describe('npm run ops against the local runtime: keys, connections, integration retry, schedule, dlq', () => {
  let runtime: TestRuntime;
  let rt: LocalRuntime;
  /** A token endpoint that refuses the client (invalid_client → client_misconfigured). */
  let provider: Server;
  const api = (method: string, path: string, body?: unknown, key = rt.apiKey) =>
    runtime.api.request<unknown>(method, path, { body, key });
  const ops = async (argv: string[], env: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOps(argv, {
      io: { out: (l) => out.push(l), err: (l) => err.push(l) },
      env: { OAUTH_REFRESHER_URL: rt.url, OAUTH_REFRESHER_API_KEY: rt.apiKey, ...env },
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    provider = createServer((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_client', error_description: 'unknown client' }));
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    runtime = await startTestRuntime({ name: 'ops-operate', scanIntervalSeconds: 1 });
    rt = runtime.local;
    const port = (provider.address() as AddressInfo).port;
    for (const [id, tokenUrl] of [
      ['crm', `http://127.0.0.1:${port}/token`],
      ['mail', `http://127.0.0.1:${port}/token`],
    ] as const) {
      const res = await api('PUT', `/v1/integrations/${id}`, {
        provider: 'custom',
        client_id: 'client',
        client_secret: SECRET,
        token_url: tokenUrl,
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await runtime?.stop();
    await new Promise<void>((resolve) => provider?.close(() => resolve()));
  });

  it('keys create, list and revoke through the API; a created key is printed once', async () => {
    const created = await ops(['keys', 'create', '--name', 'backend', '--scope', 'tokens:read', '--json']);
    expect(created.code).toBe(0);
    const { key, key_id: keyId } = JSON.parse(created.out) as { key: string; key_id: string };
    rememberSecret(key);
    expect(key).toMatch(/^ork_/);
    expect((await api('GET', '/v1/integrations/crm/connections/none', undefined, key)).status).toBe(404);

    const listed = await ops(['keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(keyId);
    expect(listed.out).toContain('backend');
    expect(listed.out).not.toContain(key);

    const revoked = await ops(['keys', 'revoke', keyId]);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toContain(`Revoked ${keyId}`);
    expect((await ops(['keys', 'list'])).out).not.toContain(keyId);
    expect((await api('GET', '/v1/integrations/crm/connections/none', undefined, key)).status).toBe(401);
    expect((await ops(['keys', 'create', '--name', 'x'])).code).toBe(2);
  });

  it('connections list filters by status and integration; connection show has the last error and history', async () => {
    const expired = new Date(Date.now() - 60_000).toISOString();
    // No refresh token and an expired access token: the next token read makes it needs_reauth.
    expect(
      (
        await api('PUT', '/v1/integrations/mail/connections/gone', {
          access_token: ACCESS,
          expires_at: expired,
        })
      ).status,
    ).toBe(201);
    expect((await api('GET', '/v1/integrations/mail/connections/gone/token')).status).toBe(424);
    // A client the provider refuses: failing with client_misconfigured.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect(
      (
        await api('PUT', '/v1/integrations/crm/connections/user-1', {
          access_token: ACCESS,
          refresh_token: REFRESH,
          expires_at: later,
        })
      ).status,
    ).toBe(201);
    expect(
      (await api('POST', '/v1/integrations/crm/connections/user-1/refresh')).status,
    ).toBeGreaterThanOrEqual(400);

    const reauth = await ops(['connections', 'list', '--status', 'needs_reauth']);
    expect(reauth.code).toBe(0);
    expect(reauth.out).toMatch(/mail\s+gone\s+needs_reauth/);
    expect(reauth.out).not.toContain('user-1');
    const failing = await ops(['connections', 'list', '--status', 'failing', '--integration', 'crm']);
    expect(failing.out).toMatch(/crm\s+user-1\s+failing\s+1\s+client_misconfigured/);
    expect(failing.out).not.toContain('gone');
    expect((await ops(['connections', 'list', '--status', 'broken'])).code).toBe(2);

    const shown = await ops(['connection', 'show', 'crm', 'user-1']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/status\s+failing/);
    expect(shown.out).toMatch(/last error\s+client_misconfigured/);
    expect(shown.out).toContain('provider said invalid_client');
    expect(shown.out).toContain('npm run ops -- integration retry crm');
    // History while the route is being added (api.md v1.1): shown when served, else said so.
    expect(shown.out).toMatch(/Recent history|History: nothing recorded|History: not served/);
    expect(`${shown.out}${shown.err}`).not.toContain(ACCESS);

    const missing = await ops(['connection', 'show', 'crm', 'nobody']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/\[not_found\].*404/);
  });

  it('integration retry makes the connections a misconfigured client held due', async () => {
    const retried = await ops(['integration', 'retry', 'crm']);
    expect(retried.code).toBe(0);
    expect(retried.out).toMatch(/Integration crm: [1-9]\d* held connection\(s\) made due now/);
    expect((await ops(['integration', 'retry', 'nothing-here'])).code).toBe(1);
  });

  it('schedule pause stops scheduled scans (kept in DATA_DIR), resume starts them again', async () => {
    await until('a first scheduled scan', () => rt.timer.status().scheduledRuns > 0, 30_000);
    const paused = await ops(['schedule', 'pause']);
    expect(paused.code).toBe(0);
    expect(paused.out).toContain('DISABLED');
    expect(paused.out).toContain('on-demand reads still refresh');
    await stat(join(rt.dataDir, SCHEDULE_PAUSED_FILE));
    const runsAtPause = rt.timer.status().scheduledRuns;
    const ticksAtPause = rt.timer.status().ticksWhilePaused;
    // Ticks keep coming while paused; none of them scans.
    await until(
      'three ticks while paused',
      () => rt.timer.status().ticksWhilePaused >= ticksAtPause + 3,
      30_000,
    );
    expect(rt.timer.status().scheduledRuns).toBe(runsAtPause);
    const status = await ops(['schedule', 'status']);
    expect(status.out).toMatch(/DISABLED .*paused since/);
    expect(status.out).toMatch(/tick\(s\) skipped while paused/);

    const resumed = await ops(['schedule', 'resume']);
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('ENABLED');
    await expect(stat(join(rt.dataDir, SCHEDULE_PAUSED_FILE))).rejects.toThrow(/ENOENT/);
    await until('a scheduled scan after resume', () => rt.timer.status().scheduledRuns > runsAtPause, 30_000);
  });

  it('the operator routes need an admin key and answer only on the local runtime', async () => {
    const readKey = JSON.parse(
      (await ops(['keys', 'create', '--name', 'reader', '--scope', 'tokens:read', '--json'])).out,
    ) as { key: string };
    rememberSecret(readKey.key);
    for (const key of [undefined, 'ork_wrong-0000000000000000', readKey.key]) {
      const res = await fetch(`${rt.url}/local/ops/schedule`, {
        method: 'POST',
        ...(key === undefined ? {} : { headers: { authorization: `Bearer ${key}` } }),
      });
      expect(res.status).toBe(401);
    }
    expect(rt.timer.status().state).toBe('ENABLED');
    // A URL that is no local runtime (here: a plain server answering 404) is said to be one.
    const other = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'not_found', message: 'no route' } }));
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
      const result = await ops(['schedule', 'status'], { OAUTH_REFRESHER_URL: url });
      expect(result.code).toBe(1);
      expect(result.err).toContain('[not_local]');
      expect(result.err).toContain('--stack NAME');
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('dlq show lists dead letters by their ids; dlq redrive moves a poison message back to its source queue', async () => {
    await rt.sqs.send(new SendMessageCommand({ QueueUrl: rt.queues.refreshDlq, MessageBody: 'poison' }));
    await rt.sqs.send(
      new SendMessageCommand({
        QueueUrl: rt.queues.webhooksDlq,
        MessageBody: JSON.stringify({
          id: 'evt_dead_0001',
          body: {
            type: 'connection.reauth_required',
            data: { integration_id: 'mail', connection_id: 'gone' },
          },
        }),
      }),
    );
    const shown = await ops(['dlq', 'show']);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/refresh DLQ \(refresh-dlq → refresh\): 1 message/);
    expect(shown.out).toContain('(not JSON)');
    expect(shown.out).toMatch(/webhooks DLQ \(webhooks-dlq → webhooks\): 1 message/);
    expect(shown.out).toMatch(/mail\s+gone\s+connection\.reauth_required evt_dead_0001/);

    const depth = async (url: string) => {
      const out = await rt.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return (
        Number(out.Attributes?.ApproximateNumberOfMessages) +
        Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible)
      );
    };
    const before = await depth(rt.queues.refresh);
    const redriven = await ops(['dlq', 'redrive', 'refresh']);
    expect(redriven.code).toBe(0);
    expect(redriven.out).toContain('Moved 1 message(s) from the refresh DLQ back to its queue.');
    expect(await depth(rt.queues.refreshDlq)).toBe(0);
    // Back in the refresh queue: the poller takes it (and fails it again), so it is there, visible or not.
    expect(await depth(rt.queues.refresh)).toBe(before + 1);
    // The webhook DLQ was left alone.
    expect(await depth(rt.queues.webhooksDlq)).toBe(1);
    expect((await ops(['dlq', 'redrive', 'everything'])).code).toBe(2);
  });

  it('a paused schedule stays paused across a restart of the local runtime until resumed', async () => {
    expect((await ops(['schedule', 'pause'])).code).toBe(0);
    rt = await runtime.restart();
    expect(rt.timer.status().state).toBe('DISABLED');
    await until('two ticks after the restart', () => rt.timer.status().ticksWhilePaused >= 2, 30_000);
    expect(rt.timer.status().scheduledRuns).toBe(0);
    expect((await ops(['schedule', 'status'])).out).toContain('DISABLED');
    expect((await ops(['schedule', 'resume'])).code).toBe(0);
    await until('a scheduled scan after resume', () => rt.timer.status().scheduledRuns > 0, 30_000);
  });

  it('keys work on a stopped local runtime, directly on its data', async () => {
    await rt.stop(); // one local runtime per process; this is the last test
    const dataDir = join(runtime.dir, 'stopped');
    const stopped = await startLocalRuntime({
      port: 0,
      dataDir,
      env: { LOG_LEVEL: 'ERROR' },
      log: () => undefined,
    });
    rememberSecret(stopped.apiKey);
    await stopped.stop();
    const out: string[] = [];
    const err: string[] = [];
    const run = (argv: string[]) =>
      runOps(argv, { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, env: { DATA_DIR: dataDir } });
    expect(await run(['keys', 'create', '--name', 'offline', '--scope', 'tokens:read', '--json'])).toBe(0);
    const { key, key_id: keyId } = JSON.parse(out.pop() ?? '{}') as { key: string; key_id: string };
    rememberSecret(key);
    expect(err.join('\n')).toContain(`the stopped local runtime's data in ${dataDir}`);
    expect(await run(['keys', 'list'])).toBe(0);
    expect(out.join('\n')).toContain(keyId);
    expect(out.join('\n')).toContain('bootstrap-admin');
  });
});
