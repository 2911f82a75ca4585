import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local';

const run = promisify(execFile);
const repo = join(import.meta.dirname, '../..');

/**
 * The typed client as another project gets it: `npm pack ./client` (which builds dist/), installed
 * from the tarball into an empty project without the network, imported from plain Node.js and
 * type-checked with strict settings and no skipLibCheck (its declarations must stand alone).
 */
describe('the installable client package', () => {
  let svc: TestRuntime;
  let work: string;
  let project: string;

  beforeAll(async () => {
    svc = await startTestRuntime();
    work = await mkdtemp(join(tmpdir(), 'client-package-'));
    await run('npm', ['pack', './client', '--pack-destination', work, '--silent'], { cwd: repo });
    const tarball = (await readdir(work)).find((f) => f.endsWith('.tgz'));
    if (tarball === undefined) throw new Error('npm pack wrote no tarball');
    project = join(work, 'consumer');
    await run('mkdir', ['-p', project]);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run(
      'npm',
      ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(work, tarball)],
      { cwd: project },
    );
  }, 180_000);
  afterAll(async () => {
    await svc?.stop();
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('holds only the built JavaScript and declarations, with no dependencies', async () => {
    const pkg = join(project, 'node_modules/@oauth-refresher/client');
    expect((await readdir(pkg)).sort()).toEqual(['README.md', 'dist', 'package.json']);
    expect((await readdir(join(pkg, 'dist'))).sort()).toEqual(['index.d.ts', 'index.js']);
    expect(await readdir(join(project, 'node_modules'))).toEqual(['.package-lock.json', '@oauth-refresher']);
  });

  it('is imported from plain Node.js and calls the local API', async () => {
    await writeFile(
      join(project, 'main.mjs'),
      `import { ApiClientError, createApiClient } from '@oauth-refresher/client';
const api = createApiClient({ baseUrl: process.env.API_URL, apiKey: process.env.API_KEY });
const out = {};
out.health = await api.getHealth();
out.integration = (await api.putIntegration('pkg-test', { provider: 'google', client_id: 'pkg-client' })).integration_id;
out.keys = (await api.listApiKeys()).items.map((k) => k.key_id);
try {
  await api.getConnection('pkg-test', 'nobody');
} catch (error) {
  out.error = error instanceof ApiClientError ? [error.status, error.code] : String(error);
}
console.log(JSON.stringify(out));
`,
    );
    const { stdout } = await run(process.execPath, ['main.mjs'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', API_URL: svc.local.url, API_KEY: svc.local.apiKey },
    });
    expect(JSON.parse(stdout)).toEqual({
      health: { status: 'ok' },
      integration: 'pkg-test',
      keys: expect.arrayContaining(['bootstrap-admin']),
      error: [404, 'not_found'],
    });
  });

  it('type-checks a consumer strictly, without skipLibCheck, and catches a wrong field', async () => {
    const consumer = `import { type ApiClient, type Connection, createApiClient } from '@oauth-refresher/client';
const api: ApiClient = createApiClient({ baseUrl: 'http://127.0.0.1:4000', apiKey: 'k' });
export async function token(): Promise<string> {
  const t = await api.getToken('i', 'c', { min_validity_seconds: 300 });
  const c: Connection = await api.getConnection('i', 'c');
  const s = await api.createConnectSession({ integration_id: 'i', connection_id: 'c', metadata: { shop: 'acme' } });
  const k = await api.createApiKey({ name: 'n', scope: 'tokens:read' });
  return [t.access_token, c.status, s.authorization_url, k.api_key].join();
}
`;
    await writeFile(join(project, 'consumer.ts'), consumer);
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    const args = [
      tsc,
      '--noEmit',
      '--strict',
      '--exactOptionalPropertyTypes',
      '--skipLibCheck',
      'false',
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--lib',
      'es2022,dom',
      'consumer.ts',
    ];
    await run(process.execPath, args, { cwd: project });
    await writeFile(join(project, 'consumer.ts'), consumer.replace("scope: 'tokens:read'", "scope: 'root'"));
    await expect(run(process.execPath, args, { cwd: project })).rejects.toMatchObject({
      stdout: expect.stringMatching(/consumer\.ts.*error TS2322/),
    });
  });
});
