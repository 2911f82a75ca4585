/**
 * `npm run ops -- <command>`: operator tasks against a running service, over its HTTP API.
 *
 *   npm run ops -- import FILE [--integration ID] [--url URL] [--key KEY] [--restart]
 *   npm run ops -- from-nango EXPORT --map PROVIDER_CONFIG_KEY=INTEGRATION_ID... --out FILE
 *
 * The service and key come from `--url`/`--key`, else `OAUTH_REFRESHER_URL` /
 * `OAUTH_REFRESHER_API_KEY`, else the local runtime holding `DATA_DIR` (its URL from
 * `$DATA_DIR/runtime-url`, else `http://127.0.0.1:$PORT`; the admin key from `$DATA_DIR/api-key`).
 * Prefer the environment for the key: a command line is visible to other users of the machine.
 * Commands are a table: add one with its options, usage and run function.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { API_KEY_FILE } from '../infra/local/config';
import { RUNTIME_URL_FILE } from '../infra/local/runtime-url';
import { fromNango } from './ops/from-nango';
import { ImportError, runImport } from './ops/import';

/** Where the CLI writes: stdout for results, stderr for progress and problems. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export interface OpsContext {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: an import stops reading, records what was acknowledged, and can resume. */
  readonly signal?: AbortSignal;
  readonly fetch?: typeof globalThis.fetch;
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

const COMMANDS: Readonly<Record<string, Command>> = {
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

export const USAGE = `usage: npm run ops -- <command>\n${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name} ${c.usage.slice(name.length + 1)}`)
  .join('\n')}
Service and key: --url/--key, else OAUTH_REFRESHER_URL/OAUTH_REFRESHER_API_KEY, else the local
runtime holding DATA_DIR (its URL from $DATA_DIR/runtime-url, its key from $DATA_DIR/api-key).`;

/** Runs one command line; returns the exit code. Never prints a key or token. */
export async function runOps(argv: readonly string[], ctx: OpsContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? ctx.io.err : ctx.io.out)(USAGE);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
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
    const code = error instanceof ImportError ? ` [${error.code}]` : '';
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
