import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOps, USAGE } from '../../../bin/ops';
import { rememberSecret } from '../../support/secrets';

const ACCESS = 'nango-access-token-for-cli-0001';
const REFRESH = 'nango-refresh-token-for-cli-0001';
rememberSecret(ACCESS, REFRESH);

const connection = (id: string, pck = 'hubspot-app', type = 'OAUTH2') => ({
  connection_id: id,
  provider_config_key: pck,
  provider: 'hubspot',
  metadata: null,
  connection_config: {},
  credentials: {
    type,
    access_token: ACCESS,
    refresh_token: REFRESH,
    expires_at: '2026-12-01T00:00:00.000Z',
    raw: {},
  },
});

async function run(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(argv, { io: { out: (l) => out.push(l), err: (l) => err.push(l) }, env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run ops', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ops-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('from-nango writes an import file (mode 0600) and names each skipped record without its tokens', async () => {
    const exportFile = join(dir, 'nango.json');
    const out = join(dir, 'import.ndjson');
    await writeFile(
      exportFile,
      JSON.stringify([connection('a'), connection('b', 'unmapped'), connection('c', 'hubspot-app', 'BASIC')]),
    );
    const result = await run(['from-nango', exportFile, '--map', 'hubspot-app=hubspot-prod', '--out', out]);
    expect(result.code).toBe(1);
    expect(result.out).toContain(`Wrote 1 connections to ${out}; 2 skipped`);
    expect(result.err).toContain('record 2 (unmapped / b) skipped: no integration mapped');
    expect(result.err).toContain('record 3 (hubspot-app / c) skipped: credentials of type BASIC');
    expect(`${result.out}${result.err}`).not.toContain(ACCESS);
    const lines = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ integration_id: 'hubspot-prod', connection_id: 'a', refresh_token: REFRESH }),
    ]);
    expect((await stat(out)).mode & 0o777).toBe(0o600);
  });

  it('answers a wrong command line with the usage and exit code 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['nope'])).err).toContain(USAGE);
    expect((await run(['import'])).code).toBe(2);
    expect((await run(['import', 'f', '--bogus'])).code).toBe(2);
    expect((await run(['from-nango', 'x', '--out', 'y'])).err).toContain('needs at least one --map');
    expect((await run(['from-nango', 'x', '--map', 'novalue', '--out', 'y'])).code).toBe(2);
    const noKey = await run(['import', 'f'], { DATA_DIR: join(dir, 'nothing-here') });
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain('no API key');
  });

  it('lists every command in its usage', () => {
    expect(USAGE).toMatch(/\n {2}import FILE/);
    expect(USAGE).toMatch(/\n {2}from-nango EXPORT/);
    for (const command of [
      'keys create',
      'keys list',
      'keys revoke',
      'connections list',
      'connection show',
      'integration retry',
      'schedule status',
      'schedule pause',
      'schedule resume',
      'dlq show',
      'dlq redrive',
    ])
      expect(USAGE).toContain(`\n  ${command} `);
  });

  it('takes two-word commands, and points at --stack when there is no local runtime', async () => {
    const nowhere = { DATA_DIR: join(dir, 'nothing-here') };
    expect((await run(['schedule'], nowhere)).code).toBe(2);
    expect((await run(['schedule', 'stop'], nowhere)).err).toContain('unknown command: schedule');
    const local = await run(['schedule', 'pause'], nowhere);
    expect(local.code).toBe(2);
    expect(local.err).toContain('no API key');
    expect(local.err).toContain('for a deployed stack pass --stack NAME [--region REGION]');
    expect((await run(['connection', 'show', 'only-one'], nowhere)).code).toBe(2);
    expect((await run(['connections', 'list', '--limit', '0'], nowhere)).code).toBe(2);
    expect((await run(['keys', 'revoke'], nowhere)).code).toBe(2);
    const down = await run(['keys', 'list'], {
      OAUTH_REFRESHER_URL: 'http://127.0.0.1:9',
      OAUTH_REFRESHER_API_KEY: 'ork_unit-test-key-00000',
    });
    expect(down.code).toBe(1);
    expect(down.err).toContain('no answer from http://127.0.0.1:9: is the service running there?');
  });

  it('connection show degrades gracefully when the service has no history route (404)', async () => {
    const view = {
      integration_id: 'crm',
      connection_id: 'u1',
      provider: 'custom',
      status: 'needs_reauth',
      access_token_expires_at: null,
      last_refresh_at: null,
      next_refresh_at: null,
      consecutive_failures: 3,
      last_error: {
        code: 'revoked',
        message: 'the grant was revoked',
        provider_error: 'invalid_grant',
        at: null,
      },
      metadata: {},
      created_at: '2026-12-01T00:00:00Z',
      updated_at: '2026-12-01T00:00:00Z',
    };
    const fetchStub: typeof fetch = async (input) => {
      const url = String(input);
      if (url.endsWith('/v1/integrations/crm/connections/u1'))
        return new Response(JSON.stringify(view), { status: 200 });
      return new Response(JSON.stringify({ error: { code: 'not_found', message: 'no route' } }), {
        status: 404,
      });
    };
    const out: string[] = [];
    const code = await runOps(['connection', 'show', 'crm', 'u1'], {
      io: { out: (l) => out.push(l), err: () => undefined },
      env: { OAUTH_REFRESHER_URL: 'http://127.0.0.1:1', OAUTH_REFRESHER_API_KEY: 'ork_unit-test-key-00000' },
      fetch: fetchStub,
    });
    expect(code).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/status\s+needs_reauth/);
    expect(text).toContain('revoked: the grant was revoked');
    expect(text).toContain('provider said invalid_grant');
    expect(text).toContain('History: not served by this service');
  });
});
