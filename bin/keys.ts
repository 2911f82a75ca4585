/**
 * `npm run keys -- <command>`: manage the API keys of a deployment.
 *
 *   npm run keys -- create --name ci --scope tokens:read [--json]
 *   npm run keys -- list [--json]
 *   npm run keys -- revoke key_0123456789ab
 *
 * Where the keys are managed, first match wins:
 * - Through the API of a running service: `--url <base URL>` (or `OAUTH_REFRESHER_URL`) with an
 *   admin key in `API_KEY` (a deployed stack: its `ApiUrl` output; a local service: its URL).
 * - AWS directly: `TABLE_NAME` (the stack's table) and AWS credentials/region as for the AWS CLI.
 * - Another DynamoDB endpoint: `TABLE_NAME` plus `DYNAMODB_ENDPOINT`.
 * - The local runtime's `DATA_DIR` (`.data` when it exists): while `npm start` runs, through its
 *   API (its URL and admin key are read from DATA_DIR unless `API_KEY` is set); while it is stopped,
 *   its embedded DynamoDB directly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { API_KEY_FILE, apiKeyDigest, LOCK_FILE } from '../infra/local/config';
import { RUNTIME_URL_FILE } from '../infra/local/runtime-url';
import { DEFAULT_KEY_CACHE_TTL_MS, DynamoApiKeyStore } from '../shared/adapters/aws/dynamodb/api-keys';
import { type ApiKey, createApiClient } from '../shared/api/client';
import { configSchema } from '../shared/config/config';
import { ENV } from '../shared/config/env';
import { type ApiKeyRecord, BOOTSTRAP_ADMIN_ID, type CreateKeyInput } from '../shared/domain/api-keys';
import { NotFoundError } from '../shared/errors';
import { systemClock } from '../shared/ports/clock';
import { textTable } from './text-table';

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
export const USAGE = `usage: npm run keys -- <command> [--url <API base URL>]
  create --name <name> --scope admin|tokens:read [--json]   create a key (shown once)
  list [--json]                                             list keys (never the keys themselves)
  revoke <key_id>                                           revoke a key
With --url (or OAUTH_REFRESHER_URL) the service's API is used, with the admin key in API_KEY.`;

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
    if (keyId === BOOTSTRAP_ADMIN_ID) {
      io.err(
        'keys: the configured admin key comes from the configuration, not the key store: locally set a new ' +
          'API_KEY (or delete DATA_DIR/api-key) and restart; on AWS redeploy with another adminApiKeySha256 or none.',
      );
      return 1;
    }
    const record = await (await store()).revoke(keyId);
    io.out(
      `Revoked ${record.key_id} "${record.name}"${record.revoked_at === undefined ? '' : ` at ${record.revoked_at}`}. ` +
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
      url: { type: 'string' },
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
    ['KEY ID', 'NAME', 'SCOPES', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED'],
    ...records.map((r) => [
      r.key_id,
      r.name,
      r.scopes.join(','),
      r.prefix === '' ? '-' : r.prefix,
      r.created_at,
      r.last_used_at ?? '-',
      r.revoked_at ?? '-',
    ]),
  ];
  return textTable(rows);
}

/** Where the keys live, from the environment (see the top of this file). */
export type KeyStoreTarget =
  | { readonly kind: 'api'; readonly url: string; readonly apiKey: string; readonly via: string }
  | {
      readonly kind: 'dynamodb';
      readonly tableName: string;
      readonly endpoint?: string;
      readonly region?: string;
    }
  | { readonly kind: 'local'; readonly dataDir: string; readonly tableName: string }
  | { readonly kind: 'unusable'; readonly message: string };

/** What {@link targetFromEnv} needs to know about the machine (tests pass their own). */
export interface TargetProbe {
  /** The file's text, or undefined when it does not exist. */
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
  /** Whether a process with this pid runs. */
  alive(pid: number): boolean;
}

export const systemProbe: TargetProbe = {
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: existsSync,
  alive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};

export function targetFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  flags: { readonly url?: string | undefined } = {},
  probe: TargetProbe = systemProbe,
): KeyStoreTarget {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  const url = flags.url ?? value('OAUTH_REFRESHER_URL');
  if (url !== undefined) {
    if (!/^https?:\/\/[^\s]+$/.test(url))
      return { kind: 'unusable', message: `--url must be the service's http(s) base URL` };
    const apiKey = value('API_KEY');
    if (apiKey === undefined)
      return { kind: 'unusable', message: 'set API_KEY to an admin key of the service at --url' };
    return { kind: 'api', url, apiKey, via: url };
  }
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
  const configured = value(ENV.dataDir);
  const dataDir = configured ?? (probe.exists(join('.data', 'dynamodb')) ? '.data' : undefined);
  if (dataDir !== undefined) {
    const dir = resolve(dataDir);
    const running = runningLocal(dir, env, probe);
    if (running !== null) return running;
    return { kind: 'local', dataDir: dir, tableName: 'oauth-refresher' };
  }
  return {
    kind: 'unusable',
    message: [
      'Where are the keys? Set one of:',
      `  ${ENV.tableName}=<table>                      on AWS (the stack's table; AWS credentials and ${ENV.awsRegion} as for the AWS CLI)`,
      `  ${ENV.tableName}=<table> ${ENV.dynamodbEndpoint}=<url>   another DynamoDB endpoint`,
      `  ${ENV.dataDir}=.data                            the local runtime's data (running or stopped)`,
      `  --url <base URL> with API_KEY=<admin key>      a running service's API (local or deployed)`,
    ].join('\n'),
  };
}

/**
 * The API of the local runtime holding `dataDir` (its lock names a live process), or null when none
 * runs. Its URL comes from the file `npm start` writes (else `PORT`), its admin key from `API_KEY`
 * or the generated key kept in DATA_DIR.
 */
function runningLocal(
  dataDir: string,
  env: Readonly<Record<string, string | undefined>>,
  probe: TargetProbe,
): KeyStoreTarget | null {
  const pid = Number(probe.readFile(join(dataDir, LOCK_FILE))?.trim());
  if (!Number.isInteger(pid) || pid <= 0 || !probe.alive(pid)) return null;
  const url =
    probe.readFile(join(dataDir, RUNTIME_URL_FILE))?.trim() ||
    `http://127.0.0.1:${env.PORT === undefined || env.PORT === '' ? 4000 : env.PORT}`;
  const apiKey =
    (env.API_KEY === '' ? undefined : env.API_KEY) ?? probe.readFile(join(dataDir, API_KEY_FILE))?.trim();
  if (apiKey === undefined || apiKey === '')
    return {
      kind: 'unusable',
      message: `the local runtime (pid ${pid}) uses ${dataDir}: set API_KEY to its admin key`,
    };
  return { kind: 'api', url, apiKey, via: `the running local runtime at ${url}` };
}

/** The key admin of a service's API: the same commands, through `/v1/api-keys`. */
export function apiKeyAdmin(url: string, apiKey: string, fetchImpl?: typeof fetch): KeyAdmin {
  const api = createApiClient({
    baseUrl: url,
    apiKey,
    ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
  });
  const toRecord = (k: ApiKey): ApiKeyRecord => ({
    key_id: k.key_id,
    name: k.name,
    scopes: [k.scope],
    prefix: k.prefix,
    created_at: k.created_at,
    ...(k.last_used_at === null ? {} : { last_used_at: k.last_used_at }),
    ...(k.configured ? { bootstrap: true as const } : {}),
  });
  return {
    create: async (input) => {
      const scope = input.scopes[0];
      const created = await api.createApiKey({ name: input.name, scope });
      return {
        key: created.api_key,
        record: {
          key_id: created.key_id,
          name: created.name,
          scopes: [created.scope],
          prefix: created.api_key.slice(0, 8),
          created_at: created.created_at,
        },
      };
    },
    list: async () => (await api.listApiKeys()).items.map(toRecord),
    revoke: async (keyId) => {
      const found = (await api.listApiKeys()).items.find((k) => k.key_id === keyId);
      if (found === undefined) throw new NotFoundError(`API key ${keyId}`);
      await api.deleteApiKey(keyId);
      return toRecord(found);
    },
  };
}

/** The key store of a target, and how to close it (`npm run ops -- keys` uses it for a stopped local runtime). */
export async function openStore(target: Exclude<KeyStoreTarget, { kind: 'unusable' }>) {
  if (target.kind === 'api') return { store: apiKeyAdmin(target.url, target.apiKey), close: async () => {} };
  if (target.kind === 'dynamodb') {
    const client = new DynamoDBClient({
      ...(target.region === undefined ? {} : { region: target.region }),
      // A local endpoint (dynalite) wants no real credentials, as in functions/compose.ts.
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
  // The local admin key (API_KEY, else the generated one in DATA_DIR) is listed as the configured key.
  const adminKey = process.env.API_KEY || systemProbe.readFile(join(target.dataDir, API_KEY_FILE))?.trim();
  return {
    store: new DynamoApiKeyStore(local.client, target.tableName, systemClock, {
      ...(adminKey === undefined || adminKey === '' ? {} : { bootstrapAdminSha256: apiKeyDigest(adminKey) }),
    }),
    close: () => local.close(),
  };
}

async function main(): Promise<number> {
  const url = urlFlag(process.argv.slice(2));
  const target = targetFromEnv(process.env, { url });
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

/** `--url` from the command line before the full parse (which reports any error with usage). */
function urlFlag(argv: readonly string[]): string | undefined {
  try {
    return parse(argv).values.url;
  } catch {
    return undefined;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().then((code) => process.exit(code));
}
