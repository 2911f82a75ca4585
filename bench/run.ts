/**
 * `npm run bench` — issue 6. Measures, side by side in one run: the token read path against a bare
 * GetItem, the refresh pipeline against oidc-provider's own refresh-grant rate, the cost per refresh
 * and per token read counted at the SDK boundary, the scheduler scan on a big and a small table,
 * and each function's bundle size and import time. Prints a table and writes bench/results.json.
 *
 *   npm run bench                 full run (under 10 minutes on 2 cores)
 *   npm run bench -- --smoke      ~30-second run with small sizes (writes bench/results.smoke.json)
 *   npm run bench -- --only=pipeline,cost   some phases (token-read, pipeline, cost, scanner,
 *                                 cold-start; writes bench/results.partial.json)
 *   npm run bench -- --profile    also attribute the pipeline's CPU (V8 profile of the pipeline window)
 *   npm run bench -- --concurrency=10   REFRESH_CONCURRENCY = INTEGRATION_CONCURRENCY = 10
 *                                 (default: the configuration's defaults, as deployed)
 *
 * Not part of `npm test`. Uses the integration tests' oidc-provider harness (test/support/oidc.ts),
 * run in a child process of its own. See bench/README.md for what each number means.
 */
import './lib/quiet';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../shared/config/config';
import { lambdaMemorySizes } from './lib/lambda';
import { out, progress, startCapture, stopCapture } from './lib/output';
import { startOidcProcess } from './lib/provider';
import { type BenchResults, printTable, targets } from './lib/report';
import { startService } from './lib/service';
import { WORKLOADS } from './lib/workloads';
import { runColdStart } from './phases/cold-start';
import { runCost, type WorkloadCost } from './phases/cost';
import { runPipeline } from './phases/pipeline';
import { runScanner } from './phases/scanner';
import { runTokenRead } from './phases/token-read';
import { PRICES_DATE, PRICES_REGION } from './prices';

const PHASES = ['cold-start', 'scanner', 'token-read', 'pipeline', 'cost'] as const;
type Phase = (typeof PHASES)[number];

const SIZES = {
  full: {
    tokenRead: { samples: 3000, rounds: 5, throughputRequests: 3000, concurrency: 16 },
    pipeline: { connections: 5000, warmup: 1000, timeoutMs: 240_000 },
    latencyPipeline: { connections: 600, latencyMs: 100, warmup: 100, timeoutMs: 120_000 },
    cost: { connections: 1000, timed: 200, reads: 500, providerLatencyMs: 100, timeoutMs: 120_000 },
    scanner: { bigTable: 100_000, smallTable: 10_000, due: 1000, rounds: 5 },
    coldStart: { runs: 5 },
  },
  smoke: {
    tokenRead: { samples: 300, rounds: 3, throughputRequests: 300, concurrency: 16 },
    pipeline: { connections: 300, warmup: 200, timeoutMs: 60_000 },
    latencyPipeline: { connections: 100, latencyMs: 100, warmup: 50, timeoutMs: 60_000 },
    cost: { connections: 100, timed: 20, reads: 50, providerLatencyMs: 100, timeoutMs: 60_000 },
    scanner: { bigTable: 10_000, smallTable: 1_000, due: 100, rounds: 7 },
    coldStart: { runs: 1 },
  },
} as const;

/**
 * The refresher's concurrency as deployed: the configuration's defaults (shared/config/config.ts,
 * which the CDK construct passes on), unless `--concurrency=N` sets both REFRESH_CONCURRENCY and
 * INTEGRATION_CONCURRENCY. The pipeline runs one integration, so its effective concurrency is the
 * smaller of the two; the provider-limit client uses the same.
 */
function refresherConcurrency(override: number | undefined): { refresh: number; integration: number } {
  if (override !== undefined) return { refresh: override, integration: override };
  const defaults = loadConfig({
    TABLE_NAME: 'bench',
    REFRESH_QUEUE_URL: 'http://q',
    WEBHOOK_QUEUE_URL: 'http://q',
  });
  return { refresh: defaults.refreshConcurrency, integration: defaults.integrationConcurrency };
}

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');

function parseArgs(argv: readonly string[]) {
  const smoke = argv.includes('--smoke');
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const phases = new Set<Phase>(
    only === undefined
      ? PHASES
      : (only.split(',').filter((p) => (PHASES as readonly string[]).includes(p)) as Phase[]),
  );
  const profileArg = argv.find((a) => a === '--profile' || a.startsWith('--profile='));
  const profile =
    profileArg === undefined
      ? undefined
      : profileArg.includes('=')
        ? profileArg.slice('--profile='.length)
        : join(tmpdir(), `oauth-refresher-pipeline-${Date.now()}.cpuprofile`);
  const concurrencyArg = argv.find((a) => a.startsWith('--concurrency='))?.slice('--concurrency='.length);
  const concurrency = concurrencyArg === undefined ? undefined : Number(concurrencyArg);
  if (
    concurrency !== undefined &&
    !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 100)
  ) {
    throw new Error('--concurrency must be an integer from 1 to 100');
  }
  return { smoke, phases, profile, concurrency };
}

async function main(): Promise<void> {
  const { smoke, phases, profile, concurrency: concurrencyOverride } = parseArgs(process.argv.slice(2));
  const concurrency = refresherConcurrency(concurrencyOverride);
  const effective = Math.min(concurrency.refresh, concurrency.integration);
  const sizes = smoke ? SIZES.smoke : SIZES.full;
  const started = performance.now();
  const cpu = cpus();
  const results: BenchResults = {
    date: new Date().toISOString(),
    mode: smoke ? 'smoke' : 'full',
    machine: {
      cores: cpu.length,
      cpu: cpu[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      loadavg_start: round1(loadavg()[0] ?? 0),
      loadavg_end: 0,
    },
    prices: { date: PRICES_DATE, region: PRICES_REGION, file: 'bench/prices.ts' },
    duration_s: 0,
  };
  progress(
    `${results.mode} run: ${[...phases].join(', ')} (${cpu.length} cores, load ${results.machine.loadavg_start})`,
  );

  if (phases.has('cold-start')) results.cold_start = await runColdStart(root, sizes.coldStart);
  if (phases.has('scanner')) results.scanner = await runScanner(sizes.scanner);

  if (phases.has('token-read') || phases.has('pipeline') || phases.has('cost')) {
    const memory = await lambdaMemorySizes(root);
    const oidc = phases.has('pipeline') ? await startOidcProcess() : undefined;
    // The functions' log lines and EMF metrics go to stdout, as on Lambda: counted, not shown.
    startCapture();
    const svc = await startService({
      refreshConcurrency: concurrency.refresh,
      integrationConcurrency: concurrency.integration,
    });
    try {
      if (phases.has('token-read')) results.token_read = await runTokenRead(svc, sizes.tokenRead);
      if (phases.has('pipeline') && oidc !== undefined) {
        const pipeline = await runPipeline(svc, oidc, {
          integrationId: 'bench-pipeline',
          connections: sizes.pipeline.connections,
          providerLatencyMs: 0,
          warmup: sizes.pipeline.warmup,
          concurrency: effective,
          timeoutMs: sizes.pipeline.timeoutMs,
          profile,
        });
        const latencyBound = await runPipeline(svc, oidc, {
          integrationId: 'bench-pipeline-latency',
          connections: sizes.latencyPipeline.connections,
          providerLatencyMs: sizes.latencyPipeline.latencyMs,
          warmup: sizes.latencyPipeline.warmup,
          concurrency: effective,
          timeoutMs: sizes.latencyPipeline.timeoutMs,
        });
        results.pipeline = {
          ...pipeline,
          refresh_concurrency: concurrency.refresh,
          integration_concurrency: concurrency.integration,
          latency_bound: latencyBound,
        };
      }
      if (phases.has('cost')) {
        const workloads: Record<string, WorkloadCost> = {};
        for (const workload of WORKLOADS) {
          workloads[workload.name] = await runCost(svc, workload, { ...sizes.cost, memory });
        }
        const google = workloads.google;
        if (google !== undefined) {
          results.cost = {
            workload: 'google',
            wcu_per_refresh: google.wcu_per_refresh,
            gsi_wcu_per_refresh: google.gsi_wcu_per_refresh,
            wcu_per_refresh_billed: google.wcu_per_refresh_billed,
            rcu_per_refresh: google.rcu_per_refresh,
            kms_calls_per_refresh_warm: google.kms_calls_per_refresh_warm,
            kms_calls_per_refresh_cold: google.kms_calls_per_refresh_cold,
            sqs_requests_per_refresh: google.sqs_requests_per_refresh,
            lambda_gb_s_per_refresh: google.lambda_gb_s_per_refresh,
            usd_per_million_refreshes: google.usd_per_million_refreshes,
            usd_per_million_token_reads: google.token_read.usd_per_million_token_reads,
            floor_usd_per_million_refreshes: google.floor.usd_per_million_refreshes,
            lambda_memory: memory,
            workloads,
          };
        }
      }
    } finally {
      await svc.stop();
      stopCapture();
      await oidc?.close();
    }
  }

  results.machine.loadavg_end = round1(loadavg()[0] ?? 0);
  results.duration_s = Math.round((performance.now() - started) / 100) / 10;
  results.targets = targets(results);
  const lines: string[] = [];
  printTable(results, (line = '') => {
    out(line);
    lines.push(line);
  });
  // Only a full run of every phase replaces results.json (the published numbers).
  const partial = phases.size < PHASES.length;
  const file = join(
    root,
    'bench',
    smoke ? 'results.smoke.json' : partial ? 'results.partial.json' : 'results.json',
  );
  await writeFile(`${file}.tmp`, `${JSON.stringify(results, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
  if (!smoke && !partial) await updateReadme(lines);
  progress(`wrote ${file.slice(root.length + 1)} (${results.duration_s} s)`);
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Puts the latest full run's table into bench/README.md, between its LATEST-TABLE markers. */
async function updateReadme(lines: readonly string[]): Promise<void> {
  const file = join(root, 'bench', 'README.md');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const start = '<!-- LATEST-TABLE -->';
  const end = '<!-- /LATEST-TABLE -->';
  if (text === undefined || !text.includes(start)) return;
  const before = text.slice(0, text.indexOf(start));
  const after = text.includes(end)
    ? text.slice(text.indexOf(end) + end.length)
    : text.slice(text.indexOf(start) + start.length);
  const table = lines.map((l) => l.trimEnd()).join('\n');
  await writeFile(file, `${before}${start}\n\n\`\`\`text\n${table}\n\`\`\`\n\n${end}${after}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    stopCapture();
    console.error(error);
    process.exit(1);
  },
);
