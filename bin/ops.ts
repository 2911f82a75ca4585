/**
 * `npm run ops -- <command>`: operator tasks against a running service (its HTTP API), the local
 * runtime (its operator routes, infra/local/control.ts) or a deployed stack (`--stack NAME`).
 *
 *   npm run ops -- import FILE [--integration ID] [--url URL] [--key KEY] [--restart]
 *   npm run ops -- from-nango EXPORT --map PROVIDER_CONFIG_KEY=INTEGRATION_ID... --out FILE
 *   npm run ops -- keys create|list|revoke ...        [--stack NAME [--region R]]
 *   npm run ops -- connections list [--status S] [--integration ID]
 *   npm run ops -- connection show INTEGRATION CONNECTION
 *   npm run ops -- integration retry INTEGRATION
 *   npm run ops -- schedule status|pause|resume       [--stack NAME [--region R]]
 *   npm run ops -- dlq show | dlq redrive refresh|webhooks   [--stack NAME [--region R]]
 *
 * The service and key come from `--url`/`--key`, else `OAUTH_REFRESHER_URL` /
 * `OAUTH_REFRESHER_API_KEY`, else the local runtime holding `DATA_DIR` (its URL from
 * `$DATA_DIR/runtime-url`, else `http://127.0.0.1:$PORT`; the admin key from `$DATA_DIR/api-key`).
 * Prefer the environment for the key: a command line is visible to other users of the machine.
 * `schedule` and `dlq` with `--stack` use AWS directly (the stack's outputs name the schedule and
 * queues) with the operator's AWS credentials; without it, the local runtime.
 * Commands are a table: add one with its options, usage and run function.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { API_KEY_FILE } from '../infra/local/config';
import { RUNTIME_URL_FILE } from '../infra/local/runtime-url';
import { STACK_OUTPUTS } from '../infra/outputs';
import { DynamoApiKeyStore } from '../shared/adapters/aws/dynamodb/api-keys';
import { ApiClientError } from '../shared/api/client';
import { systemClock } from '../shared/ports/clock';
import { apiKeyAdmin, type KeyAdmin, openStore, runKeys, targetFromEnv } from './keys';
import {
  type AwsClients,
  type AwsTarget,
  awsClients,
  awsError,
  output,
  resolvedRegion,
  stackOutputs,
} from './ops/aws';
import type { CliIo } from './ops/cli';
import { OpsError } from './ops/errors';
import { fromNango } from './ops/from-nango';
import { ImportError, runImport } from './ops/import';
import {
  CONNECTION_STATUSES,
  DLQ_NAMES,
  dlqRedriveAws,
  dlqRedriveLocal,
  dlqShowAws,
  dlqShowLocal,
  listConnections,
  retryIntegration,
  type ScheduleAction,
  scheduleAws,
  scheduleLocal,
  showConnection,
} from './ops/operate';

export type { CliIo } from './ops/cli';

export interface OpsContext {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: an import stops reading, records what was acknowledged, and can resume. */
  readonly signal?: AbortSignal;
  readonly fetch?: typeof globalThis.fetch;
  /** The AWS clients for `--stack` commands (tests pass their own). @default {@link awsClients} */
  readonly aws?: (region: string | undefined) => AwsClients;
  /** Waits between polls of a running AWS task (tests pass an instant one). */
  readonly sleep?: (ms: number) => Promise<void>;
}

type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

interface Command {
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  run(values: Values, positionals: readonly string[], ctx: OpsContext): Promise<number>;
}

/** Exit codes: 0 done, 1 failed (or finished with failed lines), 2 wrong command line, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const str = (v: Values[string]) => (typeof v === 'string' && v !== '' ? v : undefined);

const BASE_COMMANDS: Readonly<Record<string, Command>> = {
  import: {
    usage: `import FILE [--integration ID] [--url URL] [--key KEY] [--restart] [--concurrency N]
      Streams an NDJSON file (one connection a line: {"integration_id"?, "connection_id", ...the import
      body}) through the batch import; resumes where an interrupted run stopped; writes failures to
      FILE.report.ndjson (resume state: FILE.import-state.json).`,
    options: {
      integration: { type: 'string' },
      url: { type: 'string' },
      key: { type: 'string' },
      restart: { type: 'boolean', default: false },
      concurrency: { type: 'string' },
    },
    run: async (values, positionals, ctx) => {
      const [file, ...extra] = positionals;
      if (file === undefined || extra.length > 0) throw new UsageError('import needs exactly one FILE');
      const concurrency = str(values.concurrency) === undefined ? undefined : Number(values.concurrency);
      if (
        concurrency !== undefined &&
        !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 16)
      )
        throw new UsageError('--concurrency must be an integer from 1 to 16');
      const target = await targetOf(values, ctx.env);
      ctx.io.err(`import: ${file} → ${target.url}`);
      const summary = await runImport({
        file,
        url: target.url,
        apiKey: target.key,
        integration: str(values.integration),
        restart: values.restart === true,
        ...(concurrency === undefined ? {} : { concurrency }),
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
        ...(ctx.fetch === undefined ? {} : { fetch: ctx.fetch }),
        progress: (line) => ctx.io.err(line),
      });
      if (summary.alreadyComplete) {
        ctx.io.out(
          `${file} was imported already (${summary.failed} failed lines in ${summary.reportPath}); pass --restart to import it again.`,
        );
        return summary.failed === 0 ? EXIT.ok : EXIT.failed;
      }
      const resumed = summary.resumedAtLine === null ? '' : ` (resumed at line ${summary.resumedAtLine})`;
      if (summary.interrupted) {
        ctx.io.err(
          `import: interrupted after line ${summary.lines}${resumed}; run the same command again to resume.`,
        );
        return EXIT.interrupted;
      }
      ctx.io.out(
        `Imported ${summary.created + summary.replaced} connections from ${summary.lines} lines${resumed}: ` +
          `${summary.created} created, ${summary.replaced} replaced, ${summary.failed} failed` +
          (summary.failed === 0 ? '.' : ` (reasons in ${summary.reportPath}).`),
      );
      return summary.failed === 0 ? EXIT.ok : EXIT.failed;
    },
  },
  'from-nango': {
    usage: `from-nango EXPORT --map PROVIDER_CONFIG_KEY=INTEGRATION_ID [--map ...] --out FILE [--allow-missing-refresh-token]
      Converts Nango connections (a JSON array, NDJSON, or GET /connections/{id}?refresh_token=true
      answers) into an import file. See docs/migrate-from-nango.md.`,
    options: {
      map: { type: 'string', multiple: true },
      out: { type: 'string' },
      'allow-missing-refresh-token': { type: 'boolean', default: false },
    },
    run: async (values, positionals, ctx) => {
      const [exportFile, ...extra] = positionals;
      if (exportFile === undefined || extra.length > 0)
        throw new UsageError('from-nango needs exactly one EXPORT file');
      const out = str(values.out);
      if (out === undefined) throw new UsageError('from-nango needs --out FILE');
      const integrations = new Map<string, string>();
      for (const pair of (values.map as string[] | undefined) ?? []) {
        const at = pair.indexOf('=');
        if (at <= 0 || at === pair.length - 1)
          throw new UsageError(`--map ${pair}: expected PROVIDER_CONFIG_KEY=INTEGRATION_ID`);
        integrations.set(pair.slice(0, at), pair.slice(at + 1));
      }
      if (integrations.size === 0) throw new UsageError('from-nango needs at least one --map');
      const summary = await fromNango({
        exportFile,
        out,
        integrations,
        allowMissingRefreshToken: values['allow-missing-refresh-token'] === true,
      });
      for (const r of summary.rejected)
        ctx.io.err(
          `from-nango: record ${r.index} (${r.provider_config_key ?? '?'} / ${r.connection_id ?? '?'}) skipped: ${r.reason}`,
        );
      ctx.io.out(
        `Wrote ${summary.converted} connections to ${out}` +
          (summary.rejected.length === 0 ? '.' : `; ${summary.rejected.length} skipped (reasons above).`) +
          ` Next: npm run ops -- import ${out}`,
      );
      return summary.rejected.length === 0 ? EXIT.ok : EXIT.failed;
    },
  },
};

const API_OPTIONS = { url: { type: 'string' }, key: { type: 'string' } } as const;
const STACK_OPTIONS = { stack: { type: 'string' }, region: { type: 'string' } } as const;

/**
 * The API target with the command's `--url`/`--key`, and the context's fetch. `stackHint`: the
 * command also works on a stack, which an operator without a local runtime probably meant.
 */
async function apiOf(values: Values, ctx: OpsContext, stackHint = false, viaStack = false) {
  if (viaStack && str(values.stack) !== undefined && str(values.url) === undefined) {
    // A stack's API: its ApiUrl output, with an admin key of that deployment.
    const key = str(values.key) ?? str(ctx.env.OAUTH_REFRESHER_API_KEY);
    if (key === undefined)
      throw new UsageError(
        `pass --key or set OAUTH_REFRESHER_API_KEY to an admin key of ${values.stack} (the first one: npm run ops -- keys create --name admin --scope admin --stack ${values.stack})`,
      );
    const url = await withAws(values, ctx, async (clients, target) =>
      output(await stackOutputs(clients, target), STACK_OUTPUTS.apiUrl, target),
    );
    return { url, key, ...(ctx.fetch === undefined ? {} : { fetch: ctx.fetch }) };
  }
  try {
    const target = await targetOf(values, ctx.env);
    return { ...target, ...(ctx.fetch === undefined ? {} : { fetch: ctx.fetch }) };
  } catch (error) {
    if (stackHint && error instanceof UsageError)
      throw new UsageError(`${error.message}; for a deployed stack pass --stack NAME [--region REGION]`);
    throw error;
  }
}

/** Runs `fn` with AWS clients for `--stack`/`--region`, destroying them afterwards. */
async function withAws<T>(
  values: Values,
  ctx: OpsContext,
  fn: (clients: AwsClients, target: AwsTarget) => Promise<T>,
) {
  const stack = str(values.stack);
  if (stack === undefined) throw new UsageError('--stack NAME is required here');
  const region = str(values.region) ?? str(ctx.env.AWS_REGION) ?? str(ctx.env.AWS_DEFAULT_REGION);
  const clients = (ctx.aws ?? awsClients)(region);
  try {
    return await fn(clients, { stack, region });
  } finally {
    clients.destroy();
  }
}

const positional = (positionals: readonly string[], count: number, what: string) => {
  if (positionals.length !== count) throw new UsageError(what);
  return positionals;
};

/**
 * `keys ...`: bin/keys.ts does the work. With `--stack` and no admin key at hand (a fresh
 * deployment), the key is written straight into the stack's table with the operator's AWS
 * credentials, as `TABLE_NAME=... npm run keys` does; with a key, through the stack's API.
 */
async function keysCommand(
  sub: 'create' | 'list' | 'revoke',
  values: Values,
  positionals: readonly string[],
  ctx: OpsContext,
) {
  if (sub === 'revoke') positional(positionals, 1, 'keys revoke needs exactly one KEY_ID');
  else positional(positionals, 0, `keys ${sub} takes no positional arguments`);
  if (
    sub === 'create' &&
    (str(values.name) === undefined || !['admin', 'tokens:read'].includes(String(values.scope)))
  )
    throw new UsageError('keys create needs --name NAME and --scope admin|tokens:read');
  const argv = [
    sub,
    ...positionals,
    ...(str(values.name) === undefined ? [] : ['--name', String(values.name)]),
    ...(str(values.scope) === undefined ? [] : ['--scope', String(values.scope)]),
    ...(values.json === true ? ['--json'] : []),
  ];
  if (str(values.stack) === undefined) {
    const chosen = [values.url, values.key, ctx.env.OAUTH_REFRESHER_URL, ctx.env.OAUTH_REFRESHER_API_KEY];
    if (chosen.every((v) => str(v) === undefined)) {
      // No service named: the local runtime's DATA_DIR. Stopped, its data directly (bin/keys.ts).
      const local = targetFromEnv({
        DATA_DIR: ctx.env.DATA_DIR,
        PORT: ctx.env.PORT,
        API_KEY: ctx.env.API_KEY,
      });
      if (local.kind === 'local') {
        ctx.io.err(`keys: the stopped local runtime's data in ${local.dataDir}`);
        const opened = await openStore(local);
        try {
          return await runKeys(argv, async () => opened.store, ctx.io);
        } finally {
          await opened.close();
        }
      }
    }
    const target = await apiOf(values, ctx, true);
    ctx.io.err(`keys: through the API at ${target.url}`);
    return runKeys(
      argv,
      async () => reachable(apiKeyAdmin(target.url, target.key, ctx.fetch), target.url),
      ctx.io,
    );
  }
  return withAws(values, ctx, async (clients, target) => {
    const outputs = await stackOutputs(clients, target);
    const key = str(values.key) ?? str(ctx.env.OAUTH_REFRESHER_API_KEY);
    if (key !== undefined) {
      const url = output(outputs, STACK_OUTPUTS.apiUrl, target);
      ctx.io.err(`keys: through the API of ${target.stack} at ${url}`);
      return runKeys(argv, async () => reachable(apiKeyAdmin(url, key, ctx.fetch), url), ctx.io);
    }
    const table = output(outputs, STACK_OUTPUTS.tableName, target);
    const region = await resolvedRegion(clients);
    ctx.io.err(`keys: directly in table ${table} of ${target.stack} (${region}), with your AWS credentials`);
    const store = new DynamoApiKeyStore(clients.dynamodb, table, systemClock);
    const mapped =
      <A extends unknown[], R>(action: string, fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        try {
          return await fn(...args);
        } catch (error) {
          const sdk = (error as { cause?: unknown }).cause ?? error;
          const opsError = awsError(sdk, { stack: target.stack, region, action });
          throw opsError.code === 'aws_error' ? error : opsError;
        }
      };
    const admin: KeyAdmin = {
      create: mapped('dynamodb:PutItem', (input) => store.create(input)),
      list: mapped('dynamodb:Query', () => store.list()),
      revoke: mapped('dynamodb:UpdateItem', (keyId) => store.revoke(keyId)),
    };
    return runKeys(argv, async () => admin, ctx.io);
  });
}

/** The key admin of an API, saying plainly when nothing answers there. */
function reachable(admin: KeyAdmin, url: string): KeyAdmin {
  const said =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (error) {
        if (error instanceof ApiClientError && error.status === 0)
          throw new OpsError(
            'unreachable',
            `no answer from ${url}: is the service running there? (Without --url/--key and OAUTH_REFRESHER_URL/_API_KEY, keys of a stopped local runtime are managed on its DATA_DIR.)`,
            { cause: error },
          );
        throw error;
      }
    };
  return { create: said(admin.create), list: said(admin.list), revoke: said(admin.revoke) };
}

const scheduleCommand = (action: ScheduleAction): Command => ({
  usage: `schedule ${action} [--stack NAME [--region R]]
      ${
        action === 'status'
          ? 'The refresh schedule: state, rate, scans run (locally the timer of npm start).'
          : action === 'pause'
            ? 'Stops scheduled refreshing (EventBridge Scheduler State DISABLED; locally the timer, kept\n      across restarts) for a migration or an incident. Token reads still refresh on demand.'
            : 'Starts scheduled refreshing again.'
      }`,
  options: { ...STACK_OPTIONS, ...API_OPTIONS },
  run: async (values, positionals, ctx) => {
    positional(positionals, 0, `schedule ${action} takes no positional arguments`);
    if (str(values.stack) !== undefined)
      return withAws(values, ctx, (clients, target) => scheduleAws(clients, target, action, ctx.io));
    return scheduleLocal(await apiOf(values, ctx, true), action, ctx.io);
  },
});

const keysUsage = {
  create: `keys create --name NAME --scope admin|tokens:read [--json] [--stack NAME [--region R]]
      Creates an API key, printed once. With --stack and no admin key (OAUTH_REFRESHER_API_KEY or
      --key): written into the stack's table with your AWS credentials (the first admin key).`,
  list: 'keys list [--json] [--stack NAME [--region R]]\n      Lists the keys (never the keys themselves).',
  revoke: 'keys revoke KEY_ID [--stack NAME [--region R]]\n      Revokes a key.',
} as const;

const OPERATE_COMMANDS: Readonly<Record<string, Command>> = {
  ...Object.fromEntries(
    (['create', 'list', 'revoke'] as const).map((sub) => [
      `keys ${sub}`,
      {
        usage: keysUsage[sub],
        options: {
          ...API_OPTIONS,
          ...STACK_OPTIONS,
          json: { type: 'boolean', default: false },
          ...(sub === 'create' ? { name: { type: 'string' }, scope: { type: 'string' } } : {}),
        },
        run: (values, positionals, ctx) => keysCommand(sub, values, positionals, ctx),
      } satisfies Command,
    ]),
  ),
  'connections list': {
    usage: `connections list [--status needs_reauth|failing|active] [--integration ID] [--limit N] [--json]
      Connections with their last error (default: up to 100). Like every API command, it takes
      --stack NAME [--region R] for a stack's API (its ApiUrl output; the key as always).`,
    options: {
      ...API_OPTIONS,
      ...STACK_OPTIONS,
      status: { type: 'string' },
      integration: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    run: async (values, positionals, ctx) => {
      positional(positionals, 0, 'connections list takes no positional arguments');
      const status = str(values.status);
      if (status !== undefined && !(CONNECTION_STATUSES as readonly string[]).includes(status))
        throw new UsageError(`--status must be one of ${CONNECTION_STATUSES.join(', ')}`);
      const limit = str(values.limit) === undefined ? 100 : Number(values.limit);
      if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100_000))
        throw new UsageError('--limit must be an integer from 1 to 100000');
      return listConnections(
        await apiOf(values, ctx, false, true),
        {
          ...(status === undefined ? {} : { status }),
          ...(str(values.integration) === undefined ? {} : { integration: String(values.integration) }),
          limit,
        },
        ctx.io,
        values.json === true,
      );
    },
  },
  'connection show': {
    usage: `connection show INTEGRATION CONNECTION [--history N] [--json]
      One connection: status, token clocks, the last error, the next step and its recent history.`,
    options: {
      ...API_OPTIONS,
      ...STACK_OPTIONS,
      history: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    run: async (values, positionals, ctx) => {
      const [iid, cid] = positional(positionals, 2, 'connection show needs INTEGRATION and CONNECTION');
      const history = str(values.history) === undefined ? 10 : Number(values.history);
      if (!(Number.isInteger(history) && history >= 1 && history <= 500))
        throw new UsageError('--history must be an integer from 1 to 500');
      return showConnection(
        await apiOf(values, ctx, false, true),
        iid as string,
        cid as string,
        history,
        ctx.io,
        values.json === true,
      );
    },
  },
  'integration retry': {
    usage: `integration retry INTEGRATION
      After fixing an integration's client credentials: its held connections are due on the next scan.`,
    options: { ...API_OPTIONS, ...STACK_OPTIONS },
    run: async (values, positionals, ctx) => {
      const [iid] = positional(positionals, 1, 'integration retry needs exactly one INTEGRATION');
      return retryIntegration(await apiOf(values, ctx, false, true), iid as string, ctx.io);
    },
  },
  'schedule status': scheduleCommand('status'),
  'schedule pause': scheduleCommand('pause'),
  'schedule resume': scheduleCommand('resume'),
  'dlq show': {
    usage: `dlq show [--json] [--stack NAME [--region R]]
      Depth of the refresh and webhook DLQs (locally with each message's ids; on AWS the last redrive).`,
    options: { ...API_OPTIONS, ...STACK_OPTIONS, json: { type: 'boolean', default: false } },
    run: async (values, positionals, ctx) => {
      positional(positionals, 0, 'dlq show takes no positional arguments');
      if (str(values.stack) !== undefined)
        return withAws(values, ctx, (clients, target) =>
          dlqShowAws(clients, target, ctx.io, values.json === true),
        );
      return dlqShowLocal(await apiOf(values, ctx, true), ctx.io, values.json === true);
    },
  },
  'dlq redrive': {
    usage: `dlq redrive refresh|webhooks [--stack NAME [--region R] [--wait]]
      Moves a DLQ's messages back to its source queue (on AWS an SQS message move task; --wait
      follows it to the end).`,
    options: { ...API_OPTIONS, ...STACK_OPTIONS, wait: { type: 'boolean', default: false } },
    run: async (values, positionals, ctx) => {
      const [name] = positional(positionals, 1, `dlq redrive needs one of ${DLQ_NAMES.join(', ')}`);
      const dlq = DLQ_NAMES.find((n) => n === name);
      if (dlq === undefined)
        throw new UsageError(`dlq redrive needs one of ${DLQ_NAMES.join(', ')}, not ${name}`);
      if (str(values.stack) !== undefined)
        return withAws(values, ctx, (clients, target) =>
          dlqRedriveAws(
            clients,
            target,
            dlq,
            ctx.io,
            values.wait === true ? (ctx.sleep === undefined ? {} : { sleep: ctx.sleep }) : false,
          ),
        );
      return dlqRedriveLocal(await apiOf(values, ctx, true), dlq, ctx.io);
    },
  },
};

const COMMANDS: Readonly<Record<string, Command>> = { ...BASE_COMMANDS, ...OPERATE_COMMANDS };

export const USAGE = `usage: npm run ops -- <command>\n${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name} ${c.usage.slice(name.length + 1)}`)
  .join('\n')}
Service and key: --url/--key, else OAUTH_REFRESHER_URL/OAUTH_REFRESHER_API_KEY, else the local
runtime holding DATA_DIR (its URL from $DATA_DIR/runtime-url, its key from $DATA_DIR/api-key).
AWS (--stack): your AWS credentials as for the AWS CLI (AWS_PROFILE, ...); --region, else AWS_REGION.`;

/** Runs one command line; returns the exit code. Never prints a key or token. */
export async function runOps(argv: readonly string[], ctx: OpsContext): Promise<number> {
  const [first, ...afterFirst] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    (first === undefined ? ctx.io.err : ctx.io.out)(USAGE);
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  // Two-word commands (`schedule pause`) first, then one-word ones (`import`).
  const second = afterFirst[0];
  const pair = second === undefined ? undefined : `${first} ${second}`;
  const twoWords = pair !== undefined && COMMANDS[pair] !== undefined;
  const name = twoWords ? (pair as string) : first;
  const rest = twoWords ? afterFirst.slice(1) : afterFirst;
  const command = COMMANDS[name];
  if (command === undefined) {
    ctx.io.err(`unknown command: ${name}\n${USAGE}`);
    return EXIT.usage;
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...rest],
      options: command.options,
      allowPositionals: true,
      strict: true,
    });
    return await command.run(values, positionals, ctx);
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
    ) {
      ctx.io.err(`${(error as Error).message}\n${USAGE}`);
      return EXIT.usage;
    }
    const code = error instanceof ImportError || error instanceof OpsError ? ` [${error.code}]` : '';
    ctx.io.err(`ops ${name}${code}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failed;
  }
}

/** The service URL and admin key (see the top of this file). */
export async function targetOf(
  values: Values,
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ url: string; key: string }> {
  const e = (name: string) => (env[name] === '' ? undefined : env[name]);
  const dataDir = resolve(e('DATA_DIR') ?? '.data');
  // A running `npm start` leaves its URL in DATA_DIR (its port may not be the default one).
  const localUrl = (await readFile(join(dataDir, RUNTIME_URL_FILE), 'utf8').catch(() => '')).trim();
  const url =
    str(values.url) ??
    e('OAUTH_REFRESHER_URL') ??
    (localUrl === '' ? `http://127.0.0.1:${e('PORT') ?? '4000'}` : localUrl);
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url ${url}: expected http://… or https://…`);
  let key = str(values.key) ?? e('OAUTH_REFRESHER_API_KEY');
  if (key === undefined) {
    const path = join(dataDir, API_KEY_FILE);
    try {
      key = (await readFile(path, 'utf8')).trim();
    } catch {
      throw new UsageError(
        `no API key: pass --key, set OAUTH_REFRESHER_API_KEY, or run against the local runtime whose key is in ${path}`,
      );
    }
  }
  return { url, key };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('ops: stopping after the batches in flight (Ctrl-C again to quit at once)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(EXIT.interrupted));
  });
  const code = await runOps(process.argv.slice(2), {
    io: { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) },
    env: process.env,
    signal: controller.signal,
  });
  process.exit(code);
}
