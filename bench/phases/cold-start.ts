/**
 * Measurement 5: cold start. Each function's handler bundled with esbuild with the settings of the
 * CDK construct (infra/service-function.ts when it exists: ESM, node22, minified, `mainFields`
 * module first, source maps, the pinned AWS SDK bundled in; otherwise the NodejsFunction defaults
 * with `@aws-sdk/*` external), then imported in a fresh `node` process: the time from before the
 * dynamic import to after it (with `--enable-source-maps` when the construct sets it), median of
 * several processes. The other SDK choice is measured too, for comparison. Module init only: the
 * first invocation then builds its clients.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { build, stop as stopEsbuild } from 'esbuild';
import { lambdaModuleAliases } from '../../infra/bundle/aliases';
import { progress } from '../lib/output';
import { median, round } from '../lib/stats';

const run = promisify(execFile);

export const FUNCTIONS = ['api', 'scheduler', 'refresher', 'webhook-sender'] as const;

export interface ColdStartEntry {
  /** As deployed (see `settings`): the bundle's size (source map excluded). */
  bundle_kb: number;
  /** As deployed: import time in a fresh process, median. */
  import_ms: number;
  import_ms_runs: number[];
  /** The other SDK choice (bundled ↔ external). */
  alternative: { sdk: 'bundled' | 'external'; bundle_kb: number; import_ms: number };
  /** The three largest packages in the deployed bundle, KB. */
  largest_inputs_kb: Record<string, number>;
}

export interface BundleSettings {
  readonly source: string;
  readonly sdk: 'bundled' | 'external';
  readonly mainFields: readonly string[];
  readonly sourcemap: boolean;
  readonly enableSourceMaps: boolean;
  /** esbuild aliases of the bundled SDK (infra/bundle/aliases.ts when the construct uses them). */
  readonly aliases: Readonly<Record<string, string>>;
}

export type ColdStartResult = { settings: BundleSettings } & Record<
  (typeof FUNCTIONS)[number],
  ColdStartEntry
>;

// ESM output with CommonJS dependencies needs a `require` (the construct adds the same banner).
const BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** The construct's bundling settings, read from its source (best effort), else NodejsFunction's defaults. */
export async function bundleSettings(root: string): Promise<BundleSettings> {
  const file = join(root, 'infra', 'service-function.ts');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) {
    return {
      source: 'NodejsFunction defaults (no infra/service-function.ts)',
      sdk: 'external',
      mainFields: ['main', 'module'],
      sourcemap: false,
      enableSourceMaps: false,
      aliases: {},
    };
  }
  const fields = /mainFields:\s*\[([^\]]*)\]/.exec(text)?.[1];
  return {
    source: 'infra/service-function.ts',
    sdk: /bundleAwsSDK:\s*true/.test(text) ? 'bundled' : 'external',
    mainFields:
      fields === undefined ? ['main', 'module'] : [...fields.matchAll(/'([^']+)'/g)].map((m) => m[1] ?? ''),
    sourcemap: /sourceMap:\s*true/.test(text),
    enableSourceMaps: text.includes('--enable-source-maps'),
    aliases: text.includes('lambdaModuleAliases') ? lambdaModuleAliases(root) : {},
  };
}

export async function runColdStart(root: string, options: { runs: number }): Promise<ColdStartResult> {
  // Under node_modules so that an external SDK resolves from the project's node_modules.
  const outDir = join(root, 'node_modules', '.cache', 'oauth-refresher-bench');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const settings = await bundleSettings(root);
  const other = settings.sdk === 'bundled' ? 'external' : 'bundled';
  // Reported with paths relative to the project, so results read the same on every machine.
  const aliases = Object.fromEntries(
    Object.entries(settings.aliases).map(([from, to]) => [from, relative(root, to)]),
  );
  const result = { settings: { ...settings, aliases } } as ColdStartResult;
  try {
    for (const fn of FUNCTIONS) {
      progress(`cold start: bundling and importing ${fn}`);
      const entry = join(root, 'functions', fn, 'handler.ts');
      const deployed = join(outDir, `${fn}.mjs`);
      const alternative = join(outDir, `${fn}.sdk-${other}.mjs`);
      const meta = await bundle(entry, deployed, settings, settings.sdk);
      await bundle(entry, alternative, settings, other);
      const runs: number[] = [];
      const alternativeRuns: number[] = [];
      for (let i = 0; i < options.runs; i++) {
        runs.push(await importMs(deployed, settings.enableSourceMaps));
        alternativeRuns.push(await importMs(alternative, settings.enableSourceMaps));
      }
      result[fn] = {
        bundle_kb: round((await stat(deployed)).size / 1024, 1),
        import_ms: round(median(runs), 1),
        import_ms_runs: runs.map((x) => round(x, 1)),
        alternative: {
          sdk: other,
          bundle_kb: round((await stat(alternative)).size / 1024, 1),
          import_ms: round(median(alternativeRuns), 1),
        },
        largest_inputs_kb: largestPackages(meta, 3),
      };
    }
  } finally {
    await stopEsbuild();
  }
  return result;
}

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

async function bundle(
  entry: string,
  outfile: string,
  settings: BundleSettings,
  sdk: 'bundled' | 'external',
): Promise<Metafile> {
  const res = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    mainFields: [...settings.mainFields],
    minify: true,
    sourcemap: settings.sourcemap,
    sourcesContent: false,
    metafile: true,
    logLevel: 'error',
    banner: { js: BANNER },
    external: sdk === 'external' ? ['@aws-sdk/*'] : [],
    // The construct's aliases (the SDK's credential chain → the environment provider); with the
    // runtime's SDK (external) the chain is the runtime's own.
    alias: sdk === 'external' ? {} : { ...settings.aliases },
  });
  return res.metafile as Metafile;
}

/** Import time of a module in a fresh node process (performance.now around the dynamic import). */
async function importMs(file: string, enableSourceMaps: boolean): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t));`;
  const flags = [
    '--input-type=module',
    '--no-warnings',
    ...(enableSourceMaps ? ['--enable-source-maps'] : []),
  ];
  const { stdout } = await run(process.execPath, [...flags, '-e', script], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`import of ${file} printed ${stdout}`);
  return ms;
}
function largestPackages(meta: Metafile, n: number): Record<string, number> {
  const sizes: Record<string, number> = {};
  for (const output of Object.values(meta.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const name = m?.[1] ?? path.split('/').slice(0, 1).join('/');
      sizes[name] = (sizes[name] ?? 0) + input.bytesInOutput;
    }
  }
  return Object.fromEntries(
    Object.entries(sizes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => [k, round(v / 1024, 1)]),
  );
}
