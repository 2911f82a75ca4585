import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImportError, runImport } from '../../../bin/ops/import';
import { rememberSecret } from '../../support/secrets';

const KEY = 'ork_unit-test-import-key-000001';
rememberSecret(KEY);

interface Sent {
  readonly path: string;
  readonly items: Array<{ connection_id: string }>;
  readonly bytes: number;
}

/** A fake service: answers batches with 201 per item unless `script` says otherwise for a call. */
function fakeService(script: Array<(sent: Sent) => Response | Error | undefined> = []) {
  const sent: Sent[] = [];
  let calls = 0;
  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const path = new URL(String(url)).pathname;
    if (init?.method === 'GET') return Response.json({ items: [] });
    const text = String(init?.body ?? '');
    const body = JSON.parse(text) as { items: Array<{ connection_id: string }> };
    const call: Sent = { path, items: body.items, bytes: Buffer.byteLength(text) };
    sent.push(call);
    const scripted = script[calls++]?.(call);
    if (scripted instanceof Error) throw scripted;
    if (scripted !== undefined) return scripted;
    return Response.json({
      items: body.items.map((i) => ({ connection_id: i.connection_id, status: 201 })),
    });
  };
  return { sent, fetch: fetch as typeof globalThis.fetch };
}

const line = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ connection_id: id, access_token: `at-${id}-0123456789`, ...extra });

describe('runImport', () => {
  let dir: string;
  let n = 0;
  const file = async (lines: string[]) => {
    const path = join(dir, `in-${n++}.ndjson`);
    await writeFile(path, `${lines.join('\n')}\n`);
    return path;
  };
  const options = (path: string, fetch: typeof globalThis.fetch) => ({
    file: path,
    url: 'http://service.test',
    apiKey: KEY,
    integration: 'crm',
    fetch,
    sleep: async () => undefined,
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ops-import-unit-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('sends 100 lines a request, a new request when the integration changes, and never over 1 MiB', async () => {
    const big = 'x'.repeat(15_000);
    const lines = [
      ...Array.from({ length: 150 }, (_, i) => line(`a-${i}`)),
      line('b-1', { integration_id: 'other' }),
      ...Array.from({ length: 100 }, (_, i) => line(`c-${i}`, { access_token: big, refresh_token: big })),
    ];
    const service = fakeService();
    const summary = await runImport(options(await file(lines), service.fetch));
    expect(summary).toMatchObject({ lines: 251, created: 251, failed: 0, interrupted: false });
    expect(service.sent.map((s) => [s.path, s.items.length])).toEqual([
      ['/v1/integrations/crm/connections/batch', 100],
      ['/v1/integrations/crm/connections/batch', 50],
      ['/v1/integrations/other/connections/batch', 1],
      // About 30 KB a line: the 1 MiB body limit, not the 100 items, cuts these.
      ['/v1/integrations/crm/connections/batch', 34],
      ['/v1/integrations/crm/connections/batch', 34],
      ['/v1/integrations/crm/connections/batch', 32],
    ]);
    for (const s of service.sent) expect(s.bytes).toBeLessThanOrEqual(1_048_576);
  });

  it('sends a batch again after no answer or a 503 (Retry-After), and reports each item failure once', async () => {
    const service = fakeService([
      () => new TypeError('fetch failed'),
      () =>
        new Response(JSON.stringify({ error: { code: 'provider_unavailable', message: 'busy' } }), {
          status: 503,
          headers: { 'retry-after': '2' },
        }),
      (s) =>
        Response.json({
          items: s.items.map((i, k) =>
            k === 1
              ? { connection_id: i.connection_id, status: 404, error: { code: 'not_found', message: 'gone' } }
              : { connection_id: i.connection_id, status: 200 },
          ),
        }),
    ]);
    const path = await file([line('a'), line('b'), '{"connection_id": 1}', line('c')]);
    const summary = await runImport(options(path, service.fetch));
    expect(service.sent).toHaveLength(3);
    expect(summary).toMatchObject({ lines: 4, created: 0, replaced: 2, failed: 2 });
    const report = (await readFile(`${path}.report.ndjson`, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(report).toEqual([
      {
        line: 2,
        integration_id: 'crm',
        connection_id: 'b',
        status: 404,
        error: { code: 'not_found', message: 'gone' },
      },
      {
        line: 3,
        integration_id: null,
        connection_id: null,
        status: null,
        error: expect.objectContaining({ code: 'invalid_line' }),
      },
    ]);
  });

  it('isolates an item the service keeps failing on (500): sent one by one, only it is reported', async () => {
    const internal = () =>
      new Response(JSON.stringify({ error: { code: 'internal_error', message: 'internal error' } }), {
        status: 500,
      });
    const poisoned = (s: Sent) =>
      s.items.some((i) => i.connection_id === 'poison') ? internal() : undefined;
    const service = fakeService(Array.from({ length: 20 }, () => poisoned));
    const path = await file([line('a'), line('poison'), line('b')]);
    const summary = await runImport(options(path, service.fetch));
    expect(summary).toMatchObject({ created: 2, failed: 1 });
    const report = JSON.parse((await readFile(`${path}.report.ndjson`, 'utf8')).trim());
    expect(report).toMatchObject({ line: 2, connection_id: 'poison', status: 500 });
  });

  it('fails every line of a batch the service refuses as a whole, with its reason', async () => {
    const service = fakeService([
      () =>
        new Response(JSON.stringify({ error: { code: 'not_found', message: 'integration crm not found' } }), {
          status: 404,
        }),
    ]);
    const path = await file([line('a'), line('b')]);
    const summary = await runImport(options(path, service.fetch));
    expect(summary.failed).toBe(2);
    expect(await readFile(`${path}.report.ndjson`, 'utf8')).toContain('integration crm not found');
  });

  it('stops with `unreachable` after its retries, keeping what was acknowledged for the next run', async () => {
    const lines = Array.from({ length: 250 }, (_, i) => line(`u-${i}`));
    const down = () =>
      new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    const service = fakeService([() => undefined, ...Array.from({ length: 6 }, () => down)]);
    const path = await file(lines);
    const error = await runImport({ ...options(path, service.fetch), concurrency: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportError);
    expect((error as ImportError).code).toBe('unreachable');
    expect((error as ImportError).message).toContain('ECONNREFUSED');
    const state = JSON.parse(await readFile(`${path}.import-state.json`, 'utf8'));
    expect(state).toMatchObject({ next_line: 101, done: false });

    const resumed = fakeService();
    const summary = await runImport(options(path, resumed.fetch));
    expect(summary.resumedAtLine).toBe(101);
    expect(resumed.sent.flatMap((s) => s.items.map((i) => i.connection_id))[0]).toBe('u-100');
    expect(summary).toMatchObject({ lines: 250, created: 250, failed: 0 });
  });

  it('refuses to resume over a file that changed, unless told to restart', async () => {
    const path = await file([line('a')]);
    await runImport(options(path, fakeService().fetch));
    await writeFile(path, `${line('z')}\n${line('y')}\n`);
    await expect(runImport(options(path, fakeService().fetch))).rejects.toMatchObject({
      code: 'state_mismatch',
    });
    const again = await runImport({ ...options(path, fakeService().fetch), restart: true });
    expect(again.created).toBe(2);
  });
});
