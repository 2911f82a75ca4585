/** The results file's shape, the targets, and the table printed on stdout. */
import type { ColdStartResult } from '../phases/cold-start';
import { FUNCTIONS } from '../phases/cold-start';
import type { WorkloadCost } from '../phases/cost';
import type { PipelineResult } from '../phases/pipeline';
import type { ScannerResult } from '../phases/scanner';
import type { TokenReadResult } from '../phases/token-read';
import type { MemorySizes } from './lambda';

export interface BenchResults {
  date: string;
  mode: 'full' | 'smoke';
  machine: {
    cores: number;
    cpu: string;
    node: string;
    platform: string;
    /** 1-minute load average before and after: other work on the machine skews absolute numbers. */
    loadavg_start: number;
    loadavg_end: number;
  };
  prices: { date: string; region: string; file: string };
  duration_s: number;
  token_read?: TokenReadResult;
  pipeline?: PipelineResult & {
    refresh_concurrency: number;
    integration_concurrency: number;
    latency_bound?: PipelineResult;
  };
  cost?: {
    workload: 'google';
    wcu_per_refresh: number;
    gsi_wcu_per_refresh: number;
    wcu_per_refresh_billed: number;
    rcu_per_refresh: number;
    kms_calls_per_refresh_warm: number;
    kms_calls_per_refresh_cold: number;
    sqs_requests_per_refresh: number;
    lambda_gb_s_per_refresh: number;
    usd_per_million_refreshes: number;
    usd_per_million_token_reads: number;
    floor_usd_per_million_refreshes: number;
    lambda_memory: MemorySizes;
    workloads: Record<string, WorkloadCost>;
  };
  scanner?: ScannerResult;
  cold_start?: ColdStartResult;
  targets?: Target[];
}

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean;
  /** How far off: value / limit (≤ 1 is met for "at most" targets, ≥ 1 for "at least"). */
  factor: number;
}

export function targets(r: BenchResults): Target[] {
  const list: Target[] = [];
  const atMost = (name: string, target: string, value: number, limit: number, show: string) =>
    list.push({ name, target, value: show, met: value <= limit, factor: round2(value / limit) });
  const atLeast = (name: string, target: string, value: number, limit: number, show: string) =>
    list.push({ name, target, value: show, met: value >= limit, factor: round2(value / limit) });
  if (r.token_read !== undefined) {
    const x = r.token_read.ratio_p50;
    atMost('token read p50 (api handler)', '≤ 1.3 × bare GetItem', x, 1.3, `${x.toFixed(2)} ×`);
  }
  if (r.pipeline !== undefined) {
    const x = r.pipeline.ratio;
    atLeast('pipeline rate', '≥ 0.8 × provider limit', x, 0.8, `${x.toFixed(2)} ×`);
  }
  if (r.cost !== undefined) {
    const c = r.cost.usd_per_million_refreshes;
    atMost('cost per million refreshes (Google-sized)', '≤ $2.00', c, 2, `$${c.toFixed(2)}`);
    // The same units at provisioned-capacity prices (70 % auto-scaling target): the TokenStore's
    // `provisioned` option (context `provisionedMaxWriteCapacity`) for steady fleets.
    const google = r.cost.workloads?.google;
    if (google !== undefined) {
      const p = google.usd_per_million_refreshes_provisioned_70pct;
      atMost('  … with provisioned capacity (70 % target)', '≤ $2.00', p, 2, `$${p.toFixed(2)}`);
    }
    const t = r.cost.usd_per_million_token_reads;
    atMost('cost per million token reads', '≤ $1.50', t, 1.5, `$${t.toFixed(2)}`);
  }
  if (r.scanner !== undefined) {
    const x = r.scanner.ratio;
    atMost('scanner big/small time', '≤ 1.2', x, 1.2, `${x.toFixed(2)} ×`);
  }
  if (r.cold_start !== undefined) {
    for (const fn of FUNCTIONS) {
      const e = r.cold_start[fn];
      atMost(`${fn} bundle`, '≤ 500 KB', e.bundle_kb, 500, `${Math.round(e.bundle_kb)} KB`);
      atMost(`${fn} import`, '≤ 150 ms', e.import_ms, 150, `${Math.round(e.import_ms)} ms`);
    }
  }
  return list;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Right-aligned table cells. */
function row(cells: readonly (string | number)[], widths: readonly number[]): string {
  return cells
    .map((c, i) => {
      const text = typeof c === 'number' ? fmt(c) : c;
      return i === 0 ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0);
    })
    .join('  ');
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  if (Math.abs(x) >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

const usd = (x: number) => `$${x.toFixed(2)}`;

export function printTable(r: BenchResults, print: (line?: string) => void): void {
  const m = r.machine;
  print(
    `oauth-refresher bench · ${r.date.slice(0, 16).replace('T', ' ')} UTC · ${r.mode} · ${m.cores} × ${m.cpu} · Node ${m.node} · load ${m.loadavg_start}→${m.loadavg_end} · ${r.duration_s} s`,
  );

  const t = r.token_read;
  if (t !== undefined) {
    print();
    print(
      `1. Token read: GET …/token of a fresh token (${t.samples} sequential samples per path, interleaved; rps with ${t.concurrency} in flight)`,
    );
    const w = [28, 8, 8, 7, 10, 10, 10];
    print(row(['path', 'p50 ms', 'p99 ms', 'rps', 'p50 ×bare', 'p99 ×bare', 'rps ×bare'], w));
    print(
      row(['bare GetItem (consistent)', t.bare_get_p50_ms, t.bare_get_p99_ms, t.bare_get_rps, 1, 1, 1], w),
    );
    print(row(['api handler', t.p50_ms, t.p99_ms, t.rps, t.ratio_p50, t.ratio_p99, t.rps_ratio], w));
    print(
      row(
        [
          'local HTTP server',
          t.http.p50_ms,
          t.http.p99_ms,
          t.http.rps,
          t.http.ratio_p50,
          t.http.ratio_p99,
          t.http.rps_ratio,
        ],
        w,
      ),
    );
  }

  const p = r.pipeline;
  if (p !== undefined) {
    print();
    print(
      `2. Refresh pipeline: scan → queue → refresher → commit vs oidc-provider's own refresh-grant rate, concurrency ${p.concurrency} (REFRESH_CONCURRENCY ${p.refresh_concurrency}, INTEGRATION_CONCURRENCY ${p.integration_concurrency}, one integration)`,
    );
    const w = [34, 11, 8, 8, 10, 7, 9];
    print(row(['provider', 'connections', 'seconds', 'rate/s', 'limit/s', 'ratio', 'verified'], w));
    const line = (label: string, x: PipelineResult) =>
      print(
        row(
          [
            label,
            x.connections,
            x.seconds,
            x.rate_per_s,
            x.provider_limit_per_s,
            x.ratio,
            `${x.refreshed_verified}/${x.connections}`,
          ],
          w,
        ),
      );
    line('oidc-provider as is (CPU-bound)', p);
    if (p.latency_bound !== undefined)
      line(`oidc-provider +${p.latency_bound.provider_latency_ms} ms (latency-bound)`, p.latency_bound);
    print(
      `   limit = mean of two runs before/after: ${p.provider_limit_runs_per_s.join(' / ')} per s; invalid_grant: ${p.invalid_grant}; scan of ${p.scan.enqueued}: ${p.scan.ms} ms`,
    );
    if (p.cpu_breakdown !== undefined) {
      const shares = Object.entries(p.cpu_breakdown.share)
        .slice(0, 8)
        .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`);
      print(`   CPU of the pipeline window (--profile): ${shares.join(', ')}`);
    }
  }

  const c = r.cost;
  if (c !== undefined) {
    const g = c.workloads.google;
    const ms = c.workloads.microsoft;
    print();
    print(
      `3. Cost, counted (${r.prices.region} list prices of ${r.prices.date}, ${r.prices.file}; memory: ${c.lambda_memory.source})`,
    );
    const w = [44, 20, 20, 18];
    const both = (f: (x: WorkloadCost) => string | number) => [
      g === undefined ? '–' : f(g),
      ms === undefined ? '–' : f(ms),
    ];
    print(row(['per refresh', 'Google-sized', 'Microsoft-sized', 'design floor G / M'], w));
    const floor = (f: (x: WorkloadCost) => string) =>
      `${g === undefined ? '–' : f(g)} / ${ms === undefined ? '–' : f(ms)}`;
    print(
      row(
        ['item size, bytes (while leased)', ...both((x) => `${x.item_bytes} (${x.item_bytes_leased})`), ''],
        w,
      ),
    );
    print(
      row(
        [
          'DynamoDB WCU, table (ConsumedCapacity)',
          ...both((x) => x.wcu_per_refresh),
          floor((x) => String(x.floor.wcu_per_refresh)),
        ],
        w,
      ),
    );
    print(row(['  + index WCU (derived from the code)', ...both((x) => x.gsi_wcu_per_refresh), '0 / 0'], w));
    print(row(['  = WCU billed', ...both((x) => x.wcu_per_refresh_billed), ''], w));
    print(row(['  by write: scan claims / lease / commit', ...both((x) => writesBy(x)), ''], w));
    print(
      row(
        [
          'steady state (history rings full): item leased max',
          ...both((x) => (x.steady_state === undefined ? '–' : `${x.steady_state.item_bytes_leased_max}`)),
          '',
        ],
        w,
      ),
    );
    print(
      row(
        [
          '  WCU billed (of it history) → USD/M refreshes',
          ...both((x) =>
            x.steady_state === undefined
              ? '–'
              : `${x.steady_state.wcu_per_refresh_billed} (${x.steady_state.history_wcu_per_refresh}) → ${usd(x.steady_state.usd_per_million_refreshes)}`,
          ),
          '',
        ],
        w,
      ),
    );
    print(row(['DynamoDB RCU (scan queries)', ...both((x) => x.rcu_per_refresh), ''], w));
    print(
      row(
        [
          'KMS calls, warm / cold container',
          ...both((x) => `${fmt(x.kms_calls_per_refresh_warm)} / ${x.kms_calls_per_refresh_cold}`),
          '0 / 0',
        ],
        w,
      ),
    );
    print(
      row(
        ['SQS requests (send, receive, delete)', ...both((x) => x.sqs_requests_per_refresh), '0.3 / 0.3'],
        w,
      ),
    );
    print(
      row(
        [
          `Lambda ms/record, provider +${g?.provider_latency_ms ?? 0} ms → GB-s (${c.lambda_memory.refresherMb} MB)`,
          ...both((x) => `${fmt(x.lambda_billed_ms_per_record)} → ${x.lambda_gb_s_per_refresh}`),
          '3 ms (assumed)',
        ],
        w,
      ),
    );
    print(
      row(
        [
          '  compute only (provider answers at once)',
          ...both((x) => `${fmt(x.lambda_ms_per_record_compute)} ms`),
          '',
        ],
        w,
      ),
    );
    print(
      row(
        [
          'USD per million refreshes',
          ...both((x) => usd(x.usd_per_million_refreshes)),
          floor((x) => usd(x.floor.usd_per_million_refreshes)),
        ],
        w,
      ),
    );
    print(
      row(
        [
          '  DynamoDB / SQS / KMS / Lambda',
          ...both((x) => {
            const b = x.usd_per_million_refreshes_breakdown;
            return `${b.dynamodb.toFixed(2)}/${b.sqs.toFixed(2)}/${b.kms.toFixed(2)}/${(b.lambda_compute + b.lambda_requests).toFixed(2)}`;
          }),
          '',
        ],
        w,
      ),
    );
    print(
      row(
        [
          '  per connection-month (refreshed every 45 min)',
          ...both((x) => `$${x.usd_per_connection_month.toFixed(4)}`),
          '',
        ],
        w,
      ),
    );
    print(
      row(
        [
          '  with provisioned capacity at 70 % instead',
          ...both((x) => usd(x.usd_per_million_refreshes_provisioned_70pct)),
          '',
        ],
        w,
      ),
    );
    print(
      row(
        [
          '  + CloudWatch Logs (bytes per refresh)',
          ...both(
            (x) =>
              `+${usd(x.usd_per_million_refreshes_with_logs - x.usd_per_million_refreshes)} (${x.log_bytes_per_refresh} B)`,
          ),
          '',
        ],
        w,
      ),
    );
    print(row(['per token read', '', '', ''], w));
    print(
      row(
        [
          'DynamoDB RCU / KMS warm / KMS cold',
          ...both(
            (x) =>
              `${x.token_read.rcu_per_read} / ${x.token_read.kms_calls_per_read_warm} / ${x.token_read.kms_calls_per_read_cold}`,
          ),
          '',
        ],
        w,
      ),
    );
    print(
      row(
        [`Lambda ms billed (${c.lambda_memory.apiMb} MB)`, ...both((x) => x.token_read.billed_ms_mean), ''],
        w,
      ),
    );
    print(
      row(
        ['USD per million token reads', ...both((x) => usd(x.token_read.usd_per_million_token_reads)), ''],
        w,
      ),
    );
    print(
      row(
        [
          '  API Gateway / Lambda / DynamoDB / KMS',
          ...both((x) => {
            const b = x.token_read.usd_breakdown;
            return `${b.api_gateway.toFixed(2)}/${(b.lambda_compute + b.lambda_requests).toFixed(2)}/${b.dynamodb.toFixed(3)}/${b.kms.toFixed(2)}`;
          }),
          '',
        ],
        w,
      ),
    );
  }

  const s = r.scanner;
  if (s !== undefined) {
    print();
    print(
      `4. Scanner: scanDue over the same ${s.due} due connections (median of ${s.big_table_ms_runs.length} runs)`,
    );
    const w = [26, 10, 8, 14, 10];
    print(row(['table', 'items', 'due', 'entries read', 'ms'], w));
    print(
      row(
        [
          `small (${pct(s.due, s.small_table_items)} due)`,
          s.small_table_items,
          s.due,
          s.small_table_items_read,
          s.small_table_ms,
        ],
        w,
      ),
    );
    print(
      row(
        [
          `big (${pct(s.due, s.big_table_items)} due)`,
          s.big_table_items,
          s.due,
          s.big_table_items_read,
          s.big_table_ms,
        ],
        w,
      ),
    );
    print(row(['ratio big / small', '', '', s.items_read_ratio, s.ratio], w));
  }

  const cs = r.cold_start;
  if (cs !== undefined) {
    print();
    const st = cs.settings;
    print(
      `5. Cold start: esbuild as ${st.source} (ESM, node22, minified, SDK ${st.sdk}${st.sourcemap ? ', source maps' : ''}); import in a fresh node, median`,
    );
    const w = [16, 11, 11, 22, 40];
    const alt = cs.api.alternative.sdk;
    print(row(['function', 'bundle KB', 'import ms', `SDK ${alt}: KB / ms`, 'largest packages (KB)'], w));
    for (const fn of FUNCTIONS) {
      const e = cs[fn];
      const largest = Object.entries(e.largest_inputs_kb)
        .map(([k, v]) => `${k} ${Math.round(v)}`)
        .join(', ');
      print(
        row(
          [
            fn,
            e.bundle_kb,
            e.import_ms,
            `${Math.round(e.alternative.bundle_kb)} / ${Math.round(e.alternative.import_ms)}`,
            largest,
          ],
          w,
        ),
      );
    }
  }

  if (r.targets !== undefined && r.targets.length > 0) {
    print();
    print('Targets (issue 6)');
    const w = [44, 24, 10, 30];
    for (const x of r.targets) {
      const how = x.met ? 'met' : `MISSED (${x.factor.toFixed(2)} × the limit)`;
      print(row([x.name, x.target, x.value, how], w));
    }
  }
}

function writesBy(x: WorkloadCost): string {
  const u = (op: string) => fmt(x.dynamo_ops_per_refresh[op]?.units ?? 0);
  return `${u('PutItem:scan-claims')} / ${u('UpdateItem:lease')} / ${u('UpdateItem:commit')}`;
}

const pct = (part: number, whole: number) => `${Math.round((part / whole) * 100)} %`;
