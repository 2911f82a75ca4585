import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  apiKeySha256,
  DynamoApiKeyStore,
  LAST_USED_RESOLUTION_MS,
} from '../../shared/adapters/aws/dynamodb/api-keys';
import { BOOTSTRAP_ADMIN_ID } from '../../shared/domain/api-keys';
import { NotFoundError, ServiceError } from '../../shared/errors';
import { problems } from '../support/api-client';
import { ManualClock } from '../support/clock';
import { startTestDynalite, type TestDynamo } from '../support/dynamo';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { rememberSecret } from '../support/secrets';

describe('DynamoApiKeyStore', () => {
  let dynamo: TestDynamo;
  let table: string;
  let clock: ManualClock;
  const compare = vi.fn((a: Buffer, b: Buffer) => timingSafeEqual(a, b));
  const newStore = (options: ConstructorParameters<typeof DynamoApiKeyStore>[3] = {}) =>
    new DynamoApiKeyStore(dynamo.client, table, clock, { compare, ...options });
  const create = async (store: DynamoApiKeyStore, name: string, scopes: ['admin'] | ['tokens:read']) => {
    const created = await store.create({ name, scopes });
    rememberSecret(created.key);
    return created;
  };

  beforeAll(async () => {
    dynamo = await startTestDynalite();
  }, 60_000);
  afterAll(async () => dynamo?.close());
  beforeEach(async () => {
    table = await dynamo.newTable();
    clock = new ManualClock();
    compare.mockClear();
  });

  it('creates a key shown once, stored only as its digest, that authenticates with its scopes', async () => {
    const store = newStore();
    const { key, record } = await create(store, 'ci', ['tokens:read']);

    expect(key).toMatch(/^ork_[A-Za-z0-9_-]{43}$/);
    expect(record).toEqual({
      key_id: expect.stringMatching(/^key_[0-9a-f]{12}$/),
      name: 'ci',
      scopes: ['tokens:read'],
      prefix: key.slice(0, 8),
      created_at: new Date(clock.now()).toISOString(),
    });
    const raw = JSON.stringify(await dynamo.client.send(new ScanCommand({ TableName: table })));
    expect(raw).not.toContain(key);
    expect(raw).toContain(apiKeySha256(key).toString('hex'));

    await expect(store.authenticate(key)).resolves.toEqual({
      kind: 'api_key',
      id: record.key_id,
      scopes: ['tokens:read'],
    });
  });

  it('lists keys oldest first without keys or digests', async () => {
    const store = newStore();
    const admin = await create(store, 'ops', ['admin']);
    clock.advance(1_000);
    const reader = await create(store, 'ci', ['tokens:read']);

    const listed = await store.list();
    expect(listed.map((r) => r.key_id)).toEqual([admin.record.key_id, reader.record.key_id]);
    const text = JSON.stringify(listed);
    for (const { key } of [admin, reader]) {
      expect(text).not.toContain(key);
      expect(text).not.toContain(apiKeySha256(key).toString('hex'));
    }
  });

  it('refuses a revoked key and keeps the first revocation time', async () => {
    const store = newStore();
    const { key, record } = await create(store, 'old', ['admin']);
    expect(await store.authenticate(key)).not.toBeNull();

    const revoked = await store.revoke(record.key_id);
    clock.advance(5_000);
    const again = await store.revoke(record.key_id);

    expect(revoked.revoked_at).toBe(new Date(clock.now() - 5_000).toISOString());
    expect(again.revoked_at).toBe(revoked.revoked_at);
    // The revoking process forgets its cached answer at once.
    await expect(store.authenticate(key)).resolves.toBeNull();
    expect((await store.list())[0]?.revoked_at).toBe(revoked.revoked_at);
  });

  it('lets another process accept a revoked key only until its cache entry expires', async () => {
    const admin = newStore({ cacheTtlMs: 30_000 });
    const other = newStore({ cacheTtlMs: 30_000 });
    const { key, record } = await create(admin, 'k', ['admin']);
    expect(await other.authenticate(key)).not.toBeNull();

    await admin.revoke(record.key_id);
    expect(await other.authenticate(key)).not.toBeNull();
    clock.advance(30_000);
    await expect(other.authenticate(key)).resolves.toBeNull();
  });

  it('refuses wrong-length and wrong-value keys through the same digest comparisons', async () => {
    const store = newStore();
    const { key } = await create(store, 'k', ['admin']);
    const wrongValue = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    const attempts = ['x', `${key}x`, '', wrongValue, 'a'.repeat(10_000)];

    for (const attempt of attempts) {
      compare.mockClear();
      await expect(store.authenticate(attempt)).resolves.toBeNull();
      // One comparison with the bootstrap digest, one with what the lookup found; always 32 bytes.
      expect(compare).toHaveBeenCalledTimes(2);
      for (const [a, b] of compare.mock.calls) {
        expect(a).toHaveLength(32);
        expect(b).toHaveLength(32);
      }
    }
    compare.mockClear();
    await expect(store.authenticate(key)).resolves.not.toBeNull();
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it('answers repeated lookups of a key, known or unknown, from its cache', async () => {
    const store = newStore();
    const { key } = await create(store, 'k', ['tokens:read']);
    const send = vi.spyOn(dynamo.client, 'send');
    try {
      for (let i = 0; i < 3; i++) {
        await store.authenticate(key);
        await store.authenticate('ork_unknown-key');
      }
      // One lookup each, plus the first use's last_used_at write for the known key.
      expect(send.mock.calls.map(([command]) => command.constructor.name).sort()).toEqual([
        'GetItemCommand',
        'GetItemCommand',
        'UpdateItemCommand',
      ]);
    } finally {
      send.mockRestore();
    }
  });

  it('accepts the bootstrap admin key given as a digest, without a table read', async () => {
    const bootstrapKey = 'ork_bootstrap-admin-key-for-tests-0001';
    rememberSecret(bootstrapKey);
    const store = newStore({
      bootstrapAdminSha256: apiKeySha256(bootstrapKey).toString('hex').toUpperCase(),
    });
    const send = vi.spyOn(dynamo.client, 'send');
    try {
      await expect(store.authenticate(bootstrapKey)).resolves.toEqual({
        kind: 'api_key',
        id: BOOTSTRAP_ADMIN_ID,
        scopes: ['admin'],
      });
      // No read; only the (rate-limited) last_used_at write.
      expect(send.mock.calls.map(([command]) => command.constructor.name)).toEqual(['UpdateItemCommand']);
      expect(compare).toHaveBeenCalledTimes(1);
    } finally {
      send.mockRestore();
    }
    await expect(store.authenticate(`${bootstrapKey}x`)).resolves.toBeNull();
  });

  it('rejects a malformed bootstrap digest, bad names and scope sets, and unknown key ids', async () => {
    expect(() => newStore({ bootstrapAdminSha256: 'abc' })).toThrow(ServiceError);
    const store = newStore();
    await expect(store.create({ name: ' ', scopes: ['admin'] })).rejects.toMatchObject({
      code: 'config_invalid',
    });
    const bothScopes = ['admin', 'tokens:read'] as unknown as ['admin'];
    await expect(store.create({ name: 'x', scopes: bothScopes })).rejects.toMatchObject({
      code: 'config_invalid',
    });
    await expect(store.revoke('key_000000000000')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('records last_used_at at most once per resolution window, and lists the bootstrap key', async () => {
    const bootstrapKey = 'ork_bootstrap-admin-key-for-tests-0002';
    rememberSecret(bootstrapKey);
    const store = newStore({
      bootstrapAdminSha256: apiKeySha256(bootstrapKey).toString('hex'),
      cacheTtlMs: 0,
    });
    const { key, record } = await create(store, 'ci', ['tokens:read']);
    const start = clock.now();
    expect((await store.list()).map((r) => [r.key_id, r.last_used_at])).toEqual([
      [BOOTSTRAP_ADMIN_ID, undefined],
      [record.key_id, undefined],
    ]);
    await store.authenticate(key);
    await store.authenticate(bootstrapKey);
    clock.advance(LAST_USED_RESOLUTION_MS - 1);
    await store.authenticate(key);
    await store.authenticate(bootstrapKey);
    const first = new Date(start).toISOString();
    expect((await store.list()).map((r) => r.last_used_at)).toEqual([first, first]);
    clock.advance(1);
    await store.authenticate(key);
    // A second process (its own memory) writes through the same condition.
    await newStore({ bootstrapAdminSha256: apiKeySha256(bootstrapKey).toString('hex') }).authenticate(
      bootstrapKey,
    );
    const later = new Date(start + LAST_USED_RESOLUTION_MS).toISOString();
    const listed = await store.list();
    expect(listed.map((r) => r.last_used_at)).toEqual([later, later]);
    expect(listed[0]).toMatchObject({ key_id: BOOTSTRAP_ADMIN_ID, scopes: ['admin'], bootstrap: true });
    // The bookkeeping item is not a key: its digest never authenticates through the table.
    await expect(newStore().authenticate(bootstrapKey)).resolves.toBeNull();
  });

  it('reports an unreachable table as store_unavailable', async () => {
    const store = new DynamoApiKeyStore(dynamo.client, 'no-such-table', clock);
    await expect(store.authenticate('ork_whatever-key-123')).rejects.toMatchObject({
      code: 'store_unavailable',
    });
  });
});

describe('API keys over the API (/v1/api-keys)', () => {
  let svc: TestRuntime;

  beforeAll(async () => {
    svc = await startTestRuntime();
  }, 60_000);
  afterAll(async () => svc?.stop());

  interface Created {
    key_id: string;
    name: string;
    scope: string;
    created_at: string;
    api_key: string;
  }
  interface Listed {
    items: { key_id: string; name: string; scope: string; created_at: string; last_used_at: string | null }[];
  }

  it('creates a key shown once, lists every key with the configured admin key, deletes it', async () => {
    const created = await svc.api.post<Created>('/v1/api-keys', {
      body: { name: 'backend', scope: 'tokens:read' },
    });
    expect(created.status).toBe(201);
    rememberSecret(created.body.api_key);
    expect(created.body).toEqual({
      key_id: expect.stringMatching(/^key_[0-9a-f]{12}$/),
      name: 'backend',
      scope: 'tokens:read',
      created_at: expect.any(String),
      api_key: expect.stringMatching(/^ork_/),
    });
    const reader = created.body.api_key;
    expect((await svc.api.get('/v1/openapi.json', { key: reader })).status).toBe(200);
    expect((await svc.api.get('/v1/api-keys', { key: reader })).status).toBe(403);

    const listed = await svc.api.get<Listed>('/v1/api-keys');
    expect(listed.status).toBe(200);
    const byId = new Map(listed.body.items.map((i) => [i.key_id, i]));
    expect(byId.get(BOOTSTRAP_ADMIN_ID)).toMatchObject({ scope: 'admin', last_used_at: expect.any(String) });
    expect(byId.get(created.body.key_id)).toMatchObject({
      name: 'backend',
      scope: 'tokens:read',
      created_at: created.body.created_at,
      last_used_at: expect.any(String),
    });
    expect(listed.text).not.toContain(reader);
    expect(listed.text).not.toContain(svc.local.apiKey);

    expect((await svc.api.delete(`/v1/api-keys/${created.body.key_id}`)).status).toBe(204);
    expect((await svc.api.get('/v1/openapi.json', { key: reader })).status).toBe(401);
    expect((await svc.api.delete(`/v1/api-keys/${created.body.key_id}`)).status).toBe(404);
    const after = await svc.api.get<Listed>('/v1/api-keys');
    expect(after.body.items.map((i) => i.key_id)).not.toContain(created.body.key_id);
    expect(svc.api.leaked([svc.local.apiKey])).toEqual([]);
  });

  it('refuses to let a key delete itself, or the configured admin key, with 409', async () => {
    const created = await svc.api.post<Created>('/v1/api-keys', { body: { name: 'ops', scope: 'admin' } });
    rememberSecret(created.body.api_key);
    const self = await svc.api.delete(`/v1/api-keys/${created.body.key_id}`, { key: created.body.api_key });
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('conflict');
    expect((await svc.api.delete(`/v1/api-keys/${BOOTSTRAP_ADMIN_ID}`)).status).toBe(409);
    // The bootstrap key deleting itself is the self case as well.
    expect((await svc.api.delete(`/v1/api-keys/${created.body.key_id}`)).status).toBe(204);
  });

  it('validates the body and the key id', async () => {
    const bad = await svc.api.post('/v1/api-keys', { body: { name: 'x', scope: 'everything' } });
    expect(bad.status).toBe(400);
    expect(problems(bad.body)).toHaveProperty(['body.scope']);
    expect(
      (await svc.api.post('/v1/api-keys', { body: { name: 'x', scope: 'admin', extra: 1 } })).status,
    ).toBe(400);
    expect((await svc.api.delete('/v1/api-keys/nope')).status).toBe(400);
    expect((await svc.api.delete('/v1/api-keys/key_000000000000')).status).toBe(404);
  });

  it('answers HEAD /health like GET without a body, and 401 for unknown /v1 paths without a key', async () => {
    const head = await fetch(`${svc.local.url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json');
    expect(await head.text()).toBe('');
    for (const path of ['/v1/nothing-here', '/v1/api-keys', '/v1/integrations/x/connections/y/nope']) {
      const res = await svc.api.get(path, { key: null });
      expect(res.status, path).toBe(401);
      expect(res.body.error.code).toBe('unauthorized');
    }
    expect((await svc.api.get('/v1/nothing-here')).status).toBe(404);
    // The OAuth callback stays open.
    const callback = await fetch(`${svc.local.url}/v1/oauth/callback?state=x`);
    expect(callback.status).toBe(400);
    expect(await callback.text()).toMatch(/invalid_state/);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await svc.api.get<{ paths: Record<string, Record<string, unknown>> }>('/v1/openapi.json');
    expect(Object.keys(doc.body.paths['/v1/api-keys'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.body.paths['/v1/api-keys/{key_id}'] ?? {})).toEqual(['delete']);
    const schemas = (
      doc.body as unknown as { components: { schemas: Record<string, { properties?: object }> } }
    ).components.schemas;
    expect(Object.keys(schemas.ApiKey?.properties ?? {})).toEqual(
      expect.arrayContaining(['key_id', 'name', 'scope', 'created_at', 'last_used_at']),
    );
    expect(Object.keys(schemas.CreateConnectSession?.properties ?? {})).toContain('metadata');
  });
});

describe('npm run keys against a running service', () => {
  let svc: TestRuntime;
  beforeAll(async () => {
    svc = await startTestRuntime();
  }, 60_000);
  afterAll(async () => svc?.stop());

  /** The real CLI in its own process, as `npm run keys -- ...` runs it. */
  async function keys(args: string[], env: Record<string, string>) {
    const { stdout, stderr, code } = await new Promise<{
      stdout: string;
      stderr: string;
      code: number | null;
    }>((resolvePromise) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'bin/keys.ts', ...args], {
        cwd: join(import.meta.dirname, '../..'),
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        err += c.toString();
      });
      child.once('close', (exit) => resolvePromise({ stdout: out, stderr: err, code: exit }));
    });
    return { stdout, stderr, code };
  }

  it('lists, creates and revokes through the API of the runtime holding DATA_DIR, the configured key included', async () => {
    const env = {
      DATA_DIR: svc.local.dataDir,
      API_KEY: svc.local.apiKey,
      PORT: String(new URL(svc.local.url).port),
    };
    const listed = await keys(['list', '--json'], env);
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    const ids = (JSON.parse(listed.stdout) as { key_id: string }[]).map((k) => k.key_id);
    expect(ids).toContain(BOOTSTRAP_ADMIN_ID);

    const created = await keys(['create', '--name', 'cli', '--scope', 'tokens:read', '--json'], env);
    expect(created.code).toBe(0);
    const { key, key_id: keyId } = JSON.parse(created.stdout) as { key: string; key_id: string };
    rememberSecret(key);
    expect((await svc.api.get('/v1/openapi.json', { key })).status).toBe(200);
    const api = await svc.api.get<{ items: { key_id: string }[] }>('/v1/api-keys');
    expect(api.body.items.map((k) => k.key_id)).toContain(keyId);

    const revoked = await keys(['revoke', keyId], env);
    expect(revoked.code).toBe(0);
    expect((await svc.api.get('/v1/openapi.json', { key })).status).toBe(401);
  }, 120_000);

  it('uses --url with the admin key in API_KEY (a deployed stack), and fails clearly on a wrong key', async () => {
    const viaUrl = await keys(['list', '--url', svc.local.url], { API_KEY: svc.local.apiKey });
    expect(viaUrl.code).toBe(0);
    expect(viaUrl.stdout).toMatch(/bootstrap-admin/);
    expect(viaUrl.stdout).not.toContain(svc.local.apiKey);
    const wrong = await keys(['list', '--url', svc.local.url], { API_KEY: 'ork_wrong-key-for-the-cli-test' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/invalid API key/);
  }, 120_000);
});
