import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps } from '../../bin/ops';
import type { LocalRuntime } from '../../infra/local/runtime';
import type { ConnectionView } from '../../shared/api/schemas/connections';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { closedPort } from '../support/ports';
import { rememberSecret } from '../support/secrets';

interface Page {
  items: ConnectionView[];
  next_cursor: string | null;
}

const EXPIRES_AT = new Date(Date.now() + 3_600_000).toISOString();

/** `count` lines; every 1000th is invalid (a connection id with a space), one id comes twice. */
function ndjson(count: number, prefix: string): string {
  const lines: string[] = [];
  for (let i = 1; i <= count; i++) {
    if (i % 1000 === 0) lines.push(JSON.stringify({ connection_id: `bad id ${i}`, access_token: 'x' }));
    else if (i === 7) lines.push(JSON.stringify({ ...line(prefix, 3), metadata: { n: 3, again: true } }));
    else lines.push(JSON.stringify(line(prefix, i)));
  }
  return `${lines.join('\n')}\n`;
}
const line = (prefix: string, i: number) => ({
  connection_id: `${prefix}-${i}`,
  access_token: `at-${prefix}-${i}-0123456789`,
  refresh_token: `rt-${prefix}-${i}-0123456789`,
  expires_at: EXPIRES_AT,
  metadata: { n: i },
});

describe('npm run ops -- import (through the local runtime)', () => {
  let runtime: TestRuntime;
  let rt: LocalRuntime;
  /** The runtime's temporary folder: the import files go here too. */
  let dir: string;
  const api = <T>(method: string, path: string, body?: unknown) =>
    runtime.api.request<T>(method, path, { body });
  const ops = async (argv: string[], signal?: AbortSignal) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOps(argv, {
      io: { out: (l) => out.push(l), err: (l) => err.push(l) },
      env: { OAUTH_REFRESHER_URL: rt.url, OAUTH_REFRESHER_API_KEY: rt.apiKey },
      ...(signal === undefined ? {} : { signal }),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const listAll = async (integrationId: string) => {
    const views: ConnectionView[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `integration_id=${integrationId}&limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page: { status: number; body: Page } = await api<Page>('GET', `/v1/connections?${query}`);
      expect(page.status).toBe(200);
      views.push(...page.body.items);
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    return views;
  };
  /** What an import leaves behind, without the per-run fields (timestamps, jittered schedule). */
  const endState = (views: ConnectionView[]) =>
    views
      .map((v) => ({
        connection_id: v.connection_id,
        status: v.status,
        access_token_expires_at: v.access_token_expires_at,
        metadata: v.metadata,
      }))
      .sort((a, b) => a.connection_id.localeCompare(b.connection_id));

  beforeAll(async () => {
    runtime = await startTestRuntime({ name: 'ops-import' });
    rt = runtime.local;
    dir = runtime.dir;
    rememberSecret(line('bulk', 1).access_token, line('bulk', 1).refresh_token);
    for (const id of ['bulk', 'whole', 'split']) {
      const res = await api('PUT', `/v1/integrations/${id}`, {
        provider: 'custom',
        client_id: 'client',
        client_secret: 'client-secret-0123',
        token_url: 'http://127.0.0.1:9/token',
      });
      expect(res.status).toBe(201);
    }
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('imports 10,000 lines killed mid-way and resumed: every connection readable, failures reported once', async () => {
    const file = join(dir, 'bulk.ndjson');
    await writeFile(file, ndjson(10_000, 'bulk'));
    const statePath = `${file}.import-state.json`;

    // The CLI as an operator runs it, killed without warning once some batches are acknowledged.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bin/ops.ts', 'import', file, '--integration', 'bulk'],
      {
        env: { ...process.env, OAUTH_REFRESHER_URL: rt.url, OAUTH_REFRESHER_API_KEY: rt.apiKey },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const childOutput: string[] = [];
    child.stdout.on('data', (c: Buffer) => childOutput.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => childOutput.push(c.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let killedAt = 0;
    for (let waited = 0; waited < 40_000 && killedAt === 0; waited += 50) {
      const state = await readFile(statePath, 'utf8').then(JSON.parse, () => null);
      if (state !== null && state.next_line > 2_000) {
        child.kill('SIGKILL');
        killedAt = state.next_line;
      } else await new Promise((r) => setTimeout(r, 50));
    }
    await exited;
    expect(killedAt).toBeGreaterThan(2_000);
    expect(childOutput.join('')).toContain('import:'); // progress went to stderr
    const interrupted = JSON.parse(await readFile(statePath, 'utf8'));
    expect(interrupted.done).toBe(false);
    expect(interrupted.next_line).toBeLessThan(10_001);

    const resumed = await ops(['import', file, '--integration', 'bulk']);
    expect(resumed.err).not.toContain(rt.apiKey);
    expect(resumed.out).toMatch(/resumed at line \d+/);
    expect(resumed.out).toContain('10 failed');
    expect(resumed.code).toBe(1); // finished, with failed lines

    // The report: each invalid line once, in file order, with its reason and no token.
    const report = (await readFile(`${file}.report.ndjson`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(report.map((r) => r.line)).toEqual([1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000]);
    for (const r of report) {
      expect(r.error.code).toBe('invalid_line');
      expect(r.error.details[0].path).toBe('connection_id');
    }
    expect(JSON.stringify(report)).not.toMatch(/at-bulk|rt-bulk/);
    const final = JSON.parse(await readFile(statePath, 'utf8'));
    expect(final).toMatchObject({ done: true, counts: { lines: 10_000, failed: 10 } });
    // 9,990 valid lines (one repeats an id). Batches in flight at the kill were sent again: what the
    // killed run had created counts as replaced then, harmlessly.
    expect(final.counts.created + final.counts.replaced).toBe(9_990);
    expect(final.counts.created).toBeLessThanOrEqual(9_989);

    // Every valid line is a connection, readable, as the file says (the later line of a repeated id wins).
    const views = await listAll('bulk');
    expect(views).toHaveLength(10_000 - 10 - 1);
    const byId = new Map(views.map((v) => [v.connection_id, v]));
    for (let i = 1; i <= 10_000; i++) {
      if (i % 1000 === 0 || i === 7) continue;
      const view = byId.get(`bulk-${i}`);
      expect(view?.status).toBe('active');
      expect(view?.access_token_expires_at).toBe(EXPIRES_AT);
      expect(view?.metadata).toEqual(i === 3 ? { n: 3, again: true } : { n: i });
    }
    for (let i = 1; i <= 10_000; i += 997) {
      if (i % 1000 === 0 || i === 7) continue;
      const one = await api<ConnectionView>('GET', `/v1/integrations/bulk/connections/bulk-${i}`);
      expect(one.status).toBe(200);
      const token = await api<{ access_token: string }>(
        'GET',
        `/v1/integrations/bulk/connections/bulk-${i}/token`,
      );
      expect(token.body.access_token).toBe(line('bulk', i).access_token);
    }

    // Running it again finds the state done and sends nothing.
    const again = await ops(['import', file, '--integration', 'bulk']);
    expect(again.out).toContain('imported already');
    // The runtime's one process does each import's keyring seal and DynamoDB requests: 70 s on a busy
    // 2-core machine, several times that when it is overloaded.
  }, 600_000);

  it('ends an interrupted and resumed import in the same state as one that ran through', async () => {
    const text = ndjson(1_000, 'same');
    const whole = join(dir, 'whole.ndjson');
    const split = join(dir, 'split.ndjson');
    await writeFile(whole, text);
    await writeFile(split, text);

    const through = await ops(['import', whole, '--integration', 'whole']);
    expect(through.code).toBe(1);

    // Stop after the third acknowledged batch (the signal an operator's Ctrl-C raises).
    const controller = new AbortController();
    const watcher = setInterval(async () => {
      const state = await readFile(`${split}.import-state.json`, 'utf8').then(JSON.parse, () => null);
      if (state !== null && state.next_line > 300) controller.abort();
    }, 10);
    const first = await ops(
      ['import', split, '--integration', 'split', '--concurrency', '1'],
      controller.signal,
    );
    clearInterval(watcher);
    expect(first.code).toBe(130);
    expect(first.err).toContain('run the same command again to resume');
    const second = await ops(['import', split, '--integration', 'split']);
    expect(second.code).toBe(1);

    expect(endState(await listAll('split'))).toEqual(endState(await listAll('whole')));
    const strip = (t: string) => t.replaceAll('"integration_id":"split"', '"integration_id":"whole"');
    expect(strip(await readFile(`${split}.report.ndjson`, 'utf8'))).toBe(
      await readFile(`${whole}.report.ndjson`, 'utf8'),
    );
  }, 300_000);

  it('moves a Nango export in: from-nango, then import, then the tokens are served here', async () => {
    const credentials = (id: string) => ({
      type: 'OAUTH2',
      access_token: `nango-at-${id}-0123456789`,
      refresh_token: `nango-rt-${id}-0123456789`,
      expires_at: EXPIRES_AT,
      raw: { token_type: 'Bearer', scope: 'read write', expires_in: 3600 },
    });
    rememberSecret(credentials('n1').access_token, credentials('n1').refresh_token);
    const exported = ['n1', 'n2'].map((id) => ({
      id: 7,
      connection_id: id,
      provider_config_key: 'crm-app',
      provider: 'custom',
      metadata: { plan: 'pro' },
      connection_config: {},
      credentials: credentials(id),
    }));
    const exportFile = join(dir, 'nango-export.ndjson');
    const importFile = join(dir, 'from-nango.ndjson');
    await writeFile(exportFile, exported.map((c) => JSON.stringify(c)).join('\n'));
    const converted = await ops(['from-nango', exportFile, '--map', 'crm-app=bulk', '--out', importFile]);
    expect(converted.code).toBe(0);
    const imported = await ops(['import', importFile]);
    expect(imported.out).toContain('2 created');
    const view = await api<ConnectionView>('GET', '/v1/integrations/bulk/connections/n1');
    expect(view.body).toMatchObject({
      status: 'active',
      access_token_expires_at: EXPIRES_AT,
      metadata: { plan: 'pro' },
    });
    const token = await api<{ access_token: string; scope: string }>(
      'GET',
      '/v1/integrations/bulk/connections/n1/token',
    );
    expect(token.body).toMatchObject({ access_token: credentials('n1').access_token, scope: 'read write' });
  });

  it('says clearly when the service is unreachable or the key is wrong', async () => {
    const file = join(dir, 'small.ndjson');
    await writeFile(file, ndjson(3, 'small'));
    const errors: string[] = [];
    const down = await runOps(['import', file, '--integration', 'bulk'], {
      io: { out: () => undefined, err: (l) => errors.push(l) },
      env: {
        OAUTH_REFRESHER_URL: `http://127.0.0.1:${await closedPort()}`,
        OAUTH_REFRESHER_API_KEY: 'ork_wrong-key-000000000000',
      },
    });
    expect(down).toBe(1);
    const wrong = await runOps(['import', file, '--integration', 'bulk'], {
      io: { out: () => undefined, err: (l) => errors.push(l) },
      env: { OAUTH_REFRESHER_URL: rt.url, OAUTH_REFRESHER_API_KEY: 'ork_wrong-key-000000000000' },
    });
    expect(wrong).toBe(1);
    expect(errors.join('\n')).toMatch(/cannot reach the service \(ECONNREFUSED\)/);
    expect(errors.join('\n')).toMatch(/refused the API key \(401\)/);
  });
});
