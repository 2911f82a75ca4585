/**
 * `npm run keys -- <command>`: manage the API keys of a deployment.
 *
 *   npm run keys -- create --name ci --scope tokens:read [--json]
 *   npm run keys -- list [--json]
 *   npm run keys -- revoke key_0123456789ab
 *
 * Where the keys live comes from the environment:
 * - AWS: `TABLE_NAME` (the stack's table) and AWS credentials/region as for the AWS CLI.
 * - Another DynamoDB endpoint: `TABLE_NAME` plus `DYNAMODB_ENDPOINT`.
 * - Local runtime, while it is stopped: `DATA_DIR` (the same directory `npm start` uses, `.data` by
 *   default). Its embedded DynamoDB lives in one process at a time, so stop `npm start` first; the
 *   keys are there at its next start.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { configSchema } from '../shared/config/config';
import { ENV } from '../shared/config/env';
import { systemClock } from '../shared/ports/clock';
import {
  type ApiKeyRecord,
  type CreateKeyInput,
  DEFAULT_KEY_CACHE_TTL_MS,
  DynamoApiKeyStore,
} from '../shared/store/api-keys';

/** What the CLI needs of the key store (DynamoApiKeyStore satisfies it; tests pass a fake). */
export interface KeyAdmin {
  create(input: CreateKeyInput): Promise<{ key: string; record: ApiKeyRecord }>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(keyId: string): Promise<ApiKeyRecord>;
}

/** Where the CLI writes: stdout for results (the key included), stderr for problems. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** Printed with every command-line error and for `--help`. */
export const USAGE = `usage: npm run keys -- <command>
  create --name <name> --scope admin|tokens:read [--json]   create a key (shown once)
  list [--json]                                             list keys (never the keys themselves)
  revoke <key_id>                                           revoke a key`;

/** Exit codes: 0 done, 1 the operation failed, 2 the command line is wrong. */
export async function runKeys(
  argv: readonly string[],
  store: () => Promise<KeyAdmin>,
  io: CliIo,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { command, values, positionals } = parsed;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  try {
    return await execute(command, values, positionals, store, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // SDK errors say what failed (no credentials, no such table); the message never holds a key.
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    io.err(`keys: ${message}${cause}`);
    return 1;
  }
}

async function execute(
  command: string | undefined,
  values: ReturnType<typeof parse>['values'],
  positionals: readonly string[],
  store: () => Promise<KeyAdmin>,
  io: CliIo,
): Promise<number> {
  const usage = (message: string) => {
    io.err(`${message}\n${USAGE}`);
    return 2;
  };
  if (command === 'create') {
    if (values.name === undefined) return usage('create needs --name');
    if (values.scope !== 'admin' && values.scope !== 'tokens:read')
      return usage('create needs --scope admin or --scope tokens:read');
    const { key, record } = await (await store()).create({ name: values.name, scopes: [values.scope] });
    if (values.json) io.out(JSON.stringify({ key, ...record }));
    else {
      io.out(`Created ${record.key_id} "${record.name}" (scopes: ${record.scopes.join(', ')})\n`);
      io.out(`  ${key}\n`);
      io.out('Store it now: it is shown only this once (the service keeps only its SHA-256 digest).');
    }
    return 0;
  }
  if (command === 'list') {
    const records = await (await store()).list();
    io.out(values.json ? JSON.stringify(records) : table(records));
    return 0;
  }
  if (command === 'revoke') {
    const keyId = positionals[0];
    if (keyId === undefined || positionals.length > 1) return usage('revoke needs exactly one key id');
    const record = await (await store()).revoke(keyId);
    io.out(
      `Revoked ${record.key_id} "${record.name}" at ${record.revoked_at}. ` +
        `Warm API processes may accept it for up to ${DEFAULT_KEY_CACHE_TTL_MS / 1000} s more (their key cache).`,
    );
    return 0;
  }
  return usage(command === undefined ? 'no command given' : `unknown command: ${command}`);
}

function parse(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scope: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  return { command, values, positionals: rest };
}

/** A plain-text table of keys: no key, no digest. */
export function table(records: readonly ApiKeyRecord[]): string {
  if (records.length === 0)
    return 'No API keys. Create one with: npm run keys -- create --name <name> --scope <scope>';
  const rows = [
    ['KEY ID', 'NAME', 'SCOPES', 'PREFIX', 'CREATED', 'REVOKED'],
    ...records.map((r) => [
      r.key_id,
      r.name,
      r.scopes.join(','),
      r.prefix,
      r.created_at,
      r.revoked_at ?? '-',
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Where the keys live, from the environment (see the top of this file). */
export type KeyStoreTarget =
  | {
      readonly kind: 'dynamodb';
      readonly tableName: string;
      readonly endpoint?: string;
      readonly region?: string;
    }
  | { readonly kind: 'local'; readonly dataDir: string; readonly tableName: string }
  | { readonly kind: 'unusable'; readonly message: string };

export function targetFromEnv(env: Readonly<Record<string, string | undefined>>): KeyStoreTarget {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  const tableName = value(ENV.tableName);
  if (tableName !== undefined) {
    const parsed = configSchema
      .pick({ tableName: true, dynamodbEndpoint: true })
      .safeParse({ tableName, dynamodbEndpoint: value(ENV.dynamodbEndpoint) });
    if (!parsed.success) {
      const names: Readonly<Record<string, string>> = ENV;
      const problems = parsed.error.issues.map((i) => `${names[String(i.path[0])]}: ${i.message}`);
      return { kind: 'unusable', message: `invalid configuration: ${problems.join('; ')}` };
    }
    const { dynamodbEndpoint: endpoint } = parsed.data;
    // No region default: without AWS_REGION the SDK finds one as the AWS CLI does (profile, IMDS).
    const region = value(ENV.awsRegion);
    return {
      kind: 'dynamodb',
      tableName,
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(region === undefined ? {} : { region }),
    };
  }
  const dataDir = value(ENV.dataDir);
  if (dataDir !== undefined)
    return { kind: 'local', dataDir: resolve(dataDir), tableName: 'oauth-refresher' };
  return {
    kind: 'unusable',
    message: [
      'Where are the keys? Set one of:',
      `  ${ENV.tableName}=<table>                      on AWS (the stack's table; AWS credentials and ${ENV.awsRegion} as for the AWS CLI)`,
      `  ${ENV.tableName}=<table> ${ENV.dynamodbEndpoint}=<url>   another DynamoDB endpoint`,
      `  ${ENV.dataDir}=.data                            the local runtime's data (stop npm start first)`,
    ].join('\n'),
  };
}

async function openStore(target: Exclude<KeyStoreTarget, { kind: 'unusable' }>) {
  if (target.kind === 'dynamodb') {
    const client = new DynamoDBClient({
      ...(target.region === undefined ? {} : { region: target.region }),
      // A local endpoint (dynalite) wants no real credentials, as in shared/runtime.ts.
      ...(target.endpoint === undefined
        ? {}
        : { endpoint: target.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
    });
    return {
      store: new DynamoApiKeyStore(client, target.tableName, systemClock),
      close: async () => client.destroy(),
    };
  }
  const path = join(target.dataDir, 'dynamodb');
  if (!existsSync(path))
    throw new Error(`no local data in ${path}: start the local runtime once (npm start)`);
  // Imported only here: dynalite is a development dependency, absent where the CLI runs against AWS.
  const { ensureTable, startDynalite } = await import('../infra/local/dynalite');
  // LevelDB lets one process open the directory. When `npm start` holds it, dynalite fails inside its
  // request handler, out of reach of any catch here: turn that into a message instead of a stack.
  process.once('uncaughtException', (error) => {
    console.error(
      `keys: cannot open ${path} (${error.message}): is the local runtime running? Stop it first.`,
    );
    process.exit(1);
  });
  const local = await startDynalite({ path });
  await ensureTable(local.client, target.tableName);
  return {
    store: new DynamoApiKeyStore(local.client, target.tableName, systemClock),
    close: () => local.close(),
  };
}

async function main(): Promise<number> {
  const target = targetFromEnv(process.env);
  let close: (() => Promise<void>) | undefined;
  try {
    return await runKeys(
      process.argv.slice(2),
      async () => {
        if (target.kind === 'unusable') throw new Error(target.message);
        const opened = await openStore(target);
        close = opened.close;
        return opened.store;
      },
      { out: (line) => console.log(line), err: (line) => console.error(line) },
    );
  } finally {
    await close?.();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then((code) => process.exit(code));
}
