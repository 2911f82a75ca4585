import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, type FunctionName, PROJECT_ROOT } from '../../infra/functions';
import { ESM_REQUIRE_BANNER } from '../../infra/service-function';
import { startTestDynalite } from '../support/dynamo';
import { synthService } from './support';

const execFileAsync = promisify(execFile);

// The one test that runs esbuild for real (a few seconds): what the template points at is the
// bundle of each real handler, and a bundle runs as an ES module on Node.
const { stack, assembly, functions } = synthService({ bundle: true });
const artifact = assembly.getStackByName('OAuthRefresher');

/** The bundle folder a function's Code points at, through the asset manifest. */
function bundleOf(name: FunctionName): string {
  const id = stack.getLogicalId(functions[name].node.defaultChild as CfnFunction);
  const resources = (
    artifact.template as { Resources: Record<string, { Properties: { Code: { S3Key: string } } }> }
  ).Resources;
  const key = resources[id]?.Properties.Code.S3Key;
  const manifest = JSON.parse(
    readFileSync(join(assembly.directory, `${artifact.id}.assets.json`), 'utf8'),
  ) as {
    files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  const asset = Object.values(manifest.files).find((f) =>
    Object.values(f.destinations).some((d) => d.objectKey === key),
  );
  if (asset === undefined) throw new Error(`no asset for ${name} (${key})`);
  return join(assembly.directory, asset.source.path);
}

/** Runs the bundled api handler once in a fresh Node process; returns its result. */
async function invokeBundledApi(
  event: object,
  env: Record<string, string>,
): Promise<{ result: unknown; stderr: string }> {
  const script = `
    const { handler } = await import(${JSON.stringify(join(bundleOf('api'), 'index.mjs'))});
    const res = await handler(${JSON.stringify(event)}, {});
    process.stdout.write('RESULT ' + JSON.stringify(res) + '\\n');`;
  // Asynchronous: the test's own event loop serves dynalite meanwhile.
  const run = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: '/nonexistent', // no shared config or credentials files to fall back on
      AWS_REGION: 'us-east-1',
      TABLE_NAME: 'table',
      REFRESH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/refresh',
      WEBHOOK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/webhooks',
      KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
      LOG_LEVEL: 'ERROR',
      ...env,
    },
  });
  const line = run.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return {
    result: line === undefined ? undefined : JSON.parse(line.slice('RESULT '.length)),
    stderr: run.stderr,
  };
}

describe('function bundles', () => {
  it.each(FUNCTION_NAMES)(
    'bundles %s from its own functions/<name>/handler.ts as ESM with a source map',
    (name) => {
      const dir = bundleOf(name);
      const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
      const entries = map.sources.filter((s) => /functions\/[^/]+\/handler\.ts$/.test(s));
      expect(entries.map((s) => s.replace(/^.*functions\//, 'functions/'))).toEqual([
        `functions/${name}/handler.ts`,
      ]);
      // The banner gives the ESM bundle a `require` for CommonJS dependencies.
      expect(readFileSync(join(dir, 'index.mjs'), 'utf8').startsWith(ESM_REQUIRE_BANNER)).toBe(true);
    },
  );

  it('runs the bundled api as an ES module: GET /health answers 200', async () => {
    const run = await invokeBundledApi(
      { rawPath: '/health', headers: {}, requestContext: { http: { method: 'GET' }, requestId: 'r' } },
      {},
    );
    expect(run.result, run.stderr).toMatchObject({ statusCode: 200, body: JSON.stringify({ status: 'ok' }) });
  });

  it('the api bundle serves the operator console from the files beside index.mjs', async () => {
    const dir = bundleOf('api');
    expect(readFileSync(join(dir, 'console', 'console.js'), 'utf8')).toBe(
      readFileSync(join(PROJECT_ROOT, 'console', 'dist', 'console.js'), 'utf8'),
    );
    const get = (rawPath: string) =>
      invokeBundledApi(
        { rawPath, headers: {}, requestContext: { http: { method: 'GET' }, requestId: 'r' } },
        {},
      );
    const page = await get('/console');
    expect(page.result, page.stderr).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
    });
    const script = await get('/console/console.js');
    expect(script.result, script.stderr).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/javascript; charset=utf-8' },
    });
  });

  it('signs AWS calls with the credentials Lambda puts in the environment (the bundled credential provider)', async () => {
    const dynamo = await startTestDynalite();
    try {
      const table = await dynamo.newTable();
      const event = {
        rawPath: '/v1/integrations',
        headers: { authorization: 'Bearer ork_unknown_key_0000000000000000' },
        requestContext: { http: { method: 'GET' }, requestId: 'r' },
      };
      // The SDK's own endpoint variable, not DYNAMODB_ENDPOINT (that one brings local credentials).
      const endpoint = { TABLE_NAME: table, AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint };
      const withCredentials = await invokeBundledApi(event, {
        ...endpoint,
        AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
        AWS_SECRET_ACCESS_KEY: 'local-secret',
        AWS_SESSION_TOKEN: 'local-session',
      });
      // The key lookup reached DynamoDB and found no such key.
      expect(withCredentials.result, withCredentials.stderr).toMatchObject({ statusCode: 401 });
      // No credentials in the environment: nothing else is consulted (no files, no IMDS), the call fails.
      const without = await invokeBundledApi(event, endpoint);
      expect(without.result, without.stderr).toMatchObject({ statusCode: 503 });
    } finally {
      await dynamo.close();
    }
  }, 60_000);
});
