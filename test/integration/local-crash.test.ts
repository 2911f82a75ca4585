import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_VISIBILITY_TIMEOUT_SECONDS } from '../../infra/local/sqs';
import { closedPort } from '../support/ports';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';

/** The service's provider timeout here; its lease is derived from it (2 calls + commit budget + margin). */
const PROVIDER_TIMEOUT_MS = 2_000;
const LEASE_MS = PROVIDER_TIMEOUT_MS * 2 + 5_000 + 10_000;
/**
 * Generous bounds: a start on a loaded machine; then the dead worker's lease runs out, and the
 * task the restarted scan sent (which found that lease held) comes back after the refresh queue's
 * visibility timeout, plus a minute of slack.
 */
const START_BOUND_MS = 90_000;
const RECOVERY_BOUND_MS = LEASE_MS + LOCAL_VISIBILITY_TIMEOUT_SECONDS.refresh * 1_000 + 60_000;

// reliability.md promise 20: `kill -9` of the local runtime while a refresh waits on the provider,
// then a restart on the same DATA_DIR: the connection is refreshed after the dead worker's lease
// runs out (the task that met the dead lease comes back after the visibility timeout), the grant intact (the provider's grace window covers the token it rotated for the dead
// worker), and the service answers as before.
describe('local runtime killed during a provider call', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it('restarts and refreshes the connection; nothing is lost', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'local-crash-'));
    const double: ProviderDouble = await startProviderDouble({
      mode: { mode: 'slow', delayMs: 5_000, graceSeconds: 600 },
      graceSeconds: 600,
    });
    const port = await closedPort();
    const apiKey = `ork_${randomBytes(24).toString('base64url')}`;
    rememberSecret(apiKey);
    const children: ChildProcess[] = [];
    cleanup.push(async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await double.close();
      await rm(dataDir, { recursive: true, force: true });
    });
    const start = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/main.ts'], {
        cwd: join(import.meta.dirname, '../..'),
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          PORT: String(port),
          API_KEY: apiKey,
          SCAN_INTERVAL_SECONDS: '1',
          PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS),
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      children.push(child);
      return child;
    };
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const healthy = async () =>
      (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200 ? true : undefined;

    const first = start();
    await until('the service to start', healthy, START_BOUND_MS);
    rememberSecret('secret-crash-0001');
    expect(
      (
        await api('PUT', '/v1/integrations/crash', {
          provider: 'custom',
          client_id: 'client-1',
          client_secret: 'secret-crash-0001',
          token_url: double.url,
        })
      ).status,
    ).toBe(201);
    const refreshToken = double.mintFamily();
    rememberSecret(refreshToken, 'at-crash-00000001');
    const imported = await api('PUT', '/v1/integrations/crash/connections/c1', {
      access_token: 'at-crash-00000001',
      refresh_token: refreshToken,
      expires_in: 1,
    });
    expect(imported.status).toBe(201);

    // The scheduled refresh reaches the provider; the service dies while it waits for the answer.
    await until(
      'the refresh to reach the provider',
      () => (double.requests.count > 0 ? true : undefined),
      60_000,
    );
    const exited = new Promise<void>((resolve) => first.once('exit', () => resolve()));
    first.kill('SIGKILL');
    await exited;
    // The provider still processes the request the dead worker sent: it rotates the token.
    await until(
      'the provider to rotate',
      () => ((double.family(refreshToken)?.rotations ?? 0) > 0 ? true : undefined),
      30_000,
    );
    double.setMode({ mode: 'grace', graceSeconds: 600 });

    start();
    await until('the service to start again', healthy, START_BOUND_MS);
    const view = await until(
      'the connection to be refreshed after the lease ran out',
      async () => {
        const res = await api('GET', '/v1/integrations/crash/connections/c1');
        return res.body.last_refresh_at !== imported.body.last_refresh_at && res.body.status === 'active'
          ? res.body
          : undefined;
      },
      RECOVERY_BOUND_MS,
    );
    expect(view).toMatchObject({ status: 'active', consecutive_failures: 0, last_error: null });
    const family = double.family(refreshToken);
    expect(family?.revoked).toBe(false);
    expect(double.localStats.familiesRevoked).toBe(0);
    expect(double.localStats.reuseWithinGrace).toBe(1);
  }, 300_000);
});
