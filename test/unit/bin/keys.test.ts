import { describe, expect, it } from 'vitest';
import { type KeyAdmin, runKeys, type TargetProbe, table, targetFromEnv } from '../../../bin/keys';
import type { ApiKeyRecord } from '../../../shared/domain/api-keys';
import { NotFoundError, ServiceError } from '../../../shared/errors';
import { rememberSecret } from '../../support/secrets';

const KEY = 'ork_cli-test-key-0000000000000001';
rememberSecret(KEY);

const record = (overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord => ({
  key_id: 'key_0123456789ab',
  name: 'ci',
  scopes: ['tokens:read'],
  prefix: KEY.slice(0, 8),
  created_at: '2026-11-25T12:00:00.000Z',
  ...overrides,
});

function fakeStore(): KeyAdmin & { created: unknown[] } {
  const created: unknown[] = [];
  return {
    created,
    create: async (input) => {
      created.push(input);
      return { key: KEY, record: record({ name: input.name, scopes: input.scopes }) };
    },
    list: async () => [record(), record({ key_id: 'key_ba9876543210', name: 'ops', scopes: ['admin'] })],
    revoke: async (keyId) => {
      if (keyId !== 'key_0123456789ab') throw new NotFoundError(`API key ${keyId}`);
      return record({ revoked_at: '2026-11-25T13:00:00.000Z' });
    },
  };
}

async function run(argv: string[], store: KeyAdmin = fakeStore()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runKeys(argv, async () => store, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('npm run keys', () => {
  it('create prints the key once with its id and scopes', async () => {
    const store = fakeStore();
    const result = await run(['create', '--name', 'ci', '--scope', 'tokens:read'], store);
    expect(result.code).toBe(0);
    expect(store.created).toEqual([{ name: 'ci', scopes: ['tokens:read'] }]);
    expect(result.out.split(KEY)).toHaveLength(2);
    expect(result.out).toContain('key_0123456789ab');
    expect(result.out).toContain('tokens:read');
    expect(result.err).toBe('');
  });

  it('create --json prints one JSON object for scripts', async () => {
    const result = await run(['create', '--name', 'ops', '--scope', 'admin', '--json']);
    expect(JSON.parse(result.out)).toMatchObject({ key: KEY, key_id: 'key_0123456789ab', scopes: ['admin'] });
  });

  it('list prints a table without any key', async () => {
    const result = await run(['list']);
    expect(result.code).toBe(0);
    expect(result.out.split('\n')[0]).toMatch(
      /^KEY ID\s+NAME\s+SCOPES\s+PREFIX\s+CREATED\s+LAST USED\s+REVOKED$/,
    );
    expect(result.out).toContain('key_ba9876543210');
    expect(result.out).not.toContain(KEY);
    expect(table([])).toMatch(/No API keys/);
  });

  it('revoke revokes by id, and an unknown id fails with exit code 1', async () => {
    expect(await run(['revoke', 'key_0123456789ab'])).toMatchObject({
      code: 0,
      out: /Revoked key_0123456789ab/,
    });
    expect(await run(['revoke', 'key_nope'])).toMatchObject({ code: 1, err: /API key key_nope not found/ });
  });

  it.each([
    [[]],
    [['bogus']],
    [['create', '--scope', 'admin']],
    [['create', '--name', 'x', '--scope', 'everything']],
    [['revoke']],
    [['list', '--unknown-flag']],
  ])('refuses the command line %j with usage and exit code 2', async (argv) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.err).toContain('usage: npm run keys');
  });

  it('reports a store failure with exit code 1, without a stack', async () => {
    const failing: KeyAdmin = {
      ...fakeStore(),
      list: async () => {
        throw new ServiceError('store_unavailable', 'DynamoDB Query failed (ResourceNotFoundException)');
      },
    };
    const result = await run(['list'], failing);
    expect(result).toMatchObject({ code: 1, err: 'keys: DynamoDB Query failed (ResourceNotFoundException)' });
  });
});

const nothingHere: TargetProbe = { readFile: () => undefined, exists: () => false, alive: () => false };

describe('targetFromEnv', () => {
  it('uses the API with --url (or OAUTH_REFRESHER_URL) and the admin key in API_KEY', () => {
    expect(targetFromEnv({ API_KEY: KEY, TABLE_NAME: 't' }, { url: 'https://api.example' })).toMatchObject({
      kind: 'api',
      url: 'https://api.example',
      apiKey: KEY,
    });
    expect(targetFromEnv({ API_KEY: KEY, OAUTH_REFRESHER_URL: 'http://127.0.0.1:4000' })).toMatchObject({
      kind: 'api',
    });
    expect(targetFromEnv({}, { url: 'https://api.example' })).toMatchObject({
      kind: 'unusable',
      message: /API_KEY/,
    });
  });

  it('goes through the API of a local runtime that holds DATA_DIR, with its URL and generated key', () => {
    const files: Record<string, string> = {
      '/tmp/data/runtime.pid': '4242\n',
      '/tmp/data/runtime-url': 'http://127.0.0.1:4555\n',
      '/tmp/data/api-key': `${KEY}\n`,
    };
    const probe: TargetProbe = {
      readFile: (p) => files[p],
      exists: (p) => p in files,
      alive: (pid) => pid === 4242,
    };
    expect(targetFromEnv({ DATA_DIR: '/tmp/data' }, {}, probe)).toMatchObject({
      kind: 'api',
      url: 'http://127.0.0.1:4555',
      apiKey: KEY,
    });
    // A stale lock (no such process): the stopped runtime's data directly.
    expect(targetFromEnv({ DATA_DIR: '/tmp/data' }, {}, { ...probe, alive: () => false })).toMatchObject({
      kind: 'local',
    });
  });

  it('uses TABLE_NAME (and DYNAMODB_ENDPOINT, AWS_REGION) when set', () => {
    expect(targetFromEnv({ TABLE_NAME: 'prod-table', AWS_REGION: 'eu-west-1' })).toEqual({
      kind: 'dynamodb',
      tableName: 'prod-table',
      region: 'eu-west-1',
    });
    expect(targetFromEnv({ TABLE_NAME: 'tbl', DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000' })).toMatchObject({
      endpoint: 'http://127.0.0.1:8000',
    });
  });

  it('falls back to the local runtime data in DATA_DIR', () => {
    expect(targetFromEnv({ DATA_DIR: '/tmp/data' }, {}, nothingHere)).toEqual({
      kind: 'local',
      dataDir: '/tmp/data',
      tableName: 'oauth-refresher',
    });
  });

  it('explains which variables to set when none is, and names bad ones', () => {
    const none = targetFromEnv({}, {}, nothingHere);
    expect(none.kind).toBe('unusable');
    if (none.kind === 'unusable')
      expect(none.message).toMatch(/TABLE_NAME[\s\S]*DYNAMODB_ENDPOINT[\s\S]*DATA_DIR/);
    const bad = targetFromEnv({ TABLE_NAME: 'tbl', DYNAMODB_ENDPOINT: 'not a url' });
    expect(bad).toMatchObject({ kind: 'unusable', message: /DYNAMODB_ENDPOINT/ });
  });
});
