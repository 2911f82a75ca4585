import { readFileSync } from 'node:fs';

/**
 * The service's fixed monthly cost (idle: no connections, no API calls), computed from a
 * synthesized template at us-east-1 list prices, before free tiers. Run it on a synth:
 * `npx tsx infra/fixed-cost.ts cdk.out/OAuthRefresher-Dev.template.json`.
 */
export const PRICES = {
  kmsKey: 1.0,
  secret: 0.4,
  /** Per alarm metric (standard resolution); a Metrics Insights query alarm counts as one. */
  alarmMetric: 0.1,
  /** Beyond the 3 free dashboards of an account. */
  dashboard: 3.0,
  customMetric: 0.3,
  schedulerInvocationPerMillion: 1.0,
  lambdaRequestPerMillion: 0.2,
  /** arm64, per GB-second. */
  lambdaGbSecond: 0.0000133334,
  readRequestUnitPerMillion: 0.125,
  sqsRequestPerMillion: 0.4,
  wafWebAcl: 5.0,
  wafRule: 1.0,
  /** Provisioned capacity per unit-month (730 h). */
  wcuMonth: 0.00065 * 730,
  rcuMonth: 0.00013 * 730,
} as const;

/** Custom EMF metrics the scheduler emits on every tick (shared/pipeline/scan.ts). */
const SCHEDULER_METRICS_PER_TICK = 4;
/** Estimated idle long polls of one SQS event source mapping: 5 pollers, one 20 s poll each. */
const IDLE_POLLS_PER_MAPPING = 5 * 3 * 60 * 24 * 30;
const MINUTES_PER_MONTH = 60 * 24 * 30.4;

export interface CostItem {
  readonly item: string;
  readonly quantity: string;
  readonly usd: number;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** One line per cost item, from the template's resources. */
export function fixedMonthlyCost(
  template: { Resources: Record<string, Resource> },
  dueShards = 16,
): CostItem[] {
  const all = Object.values(template.Resources);
  const of = (type: string) => all.filter((r) => r.Type === type);
  const items: CostItem[] = [];
  const add = (item: string, quantity: string, usd: number) => {
    if (usd > 0) items.push({ item, quantity, usd: Math.round(usd * 100) / 100 });
  };

  add(
    'KMS customer-managed keys',
    `${of('AWS::KMS::Key').length} keys`,
    of('AWS::KMS::Key').length * PRICES.kmsKey,
  );
  const secrets = of('AWS::SecretsManager::Secret').length;
  add('Secrets Manager (webhook signing secret)', `${secrets} secret`, secrets * PRICES.secret);
  const alarmMetrics = of('AWS::CloudWatch::Alarm').reduce((n, alarm) => {
    const metrics = alarm.Properties?.Metrics as
      | Array<{ MetricStat?: unknown; Expression?: string }>
      | undefined;
    if (metrics === undefined) return n + 1;
    const stats = metrics.filter((m) => m.MetricStat !== undefined).length;
    return n + Math.max(stats, 1);
  }, 0);
  add(
    'CloudWatch alarms',
    `${of('AWS::CloudWatch::Alarm').length} alarms, ${alarmMetrics} alarm metrics`,
    alarmMetrics * PRICES.alarmMetric,
  );
  const dashboards = of('AWS::CloudWatch::Dashboard').length;
  add(
    'CloudWatch dashboard (free if the account has fewer than 3)',
    `${dashboards}`,
    dashboards * PRICES.dashboard,
  );

  const schedule = of('AWS::Scheduler::Schedule')[0]?.Properties?.ScheduleExpression;
  const rate = Number(/rate\((\d+) minutes?\)/.exec(String(schedule))?.[1] ?? 1);
  const ticks = MINUTES_PER_MONTH / rate;
  add(
    'Scheduler ticks (EventBridge Scheduler; 14 M free)',
    `${Math.round(ticks)} invocations`,
    (ticks / 1e6) * PRICES.schedulerInvocationPerMillion,
  );
  add(
    'Scheduler Lambda (≈100 ms at 512 MB per tick)',
    `${Math.round(ticks)} invocations`,
    (ticks / 1e6) * PRICES.lambdaRequestPerMillion + ticks * 0.1 * 0.5 * PRICES.lambdaGbSecond,
  );
  add(
    'Scheduler custom metrics (EMF, emitted every tick)',
    `${SCHEDULER_METRICS_PER_TICK} metrics`,
    SCHEDULER_METRICS_PER_TICK * PRICES.customMetric,
  );
  const tables = of('AWS::DynamoDB::Table');
  const provisioned = tables.find((t) => t.Properties?.BillingMode !== 'PAY_PER_REQUEST');
  if (provisioned === undefined) {
    // Due- and outbox-index queries per shard and tick, 0.5 read unit each at least.
    const units = ticks * dueShards * 2 * 0.5;
    add(
      'DynamoDB index queries of idle scans (on-demand)',
      `${Math.round(units / 1000)} K read units`,
      (units / 1e6) * PRICES.readRequestUnitPerMillion,
    );
  } else {
    const indexes = (provisioned.Properties?.GlobalSecondaryIndexes as unknown[] | undefined)?.length ?? 0;
    const throughput = provisioned.Properties?.ProvisionedThroughput as
      | { ReadCapacityUnits: number; WriteCapacityUnits: number }
      | undefined;
    const r = (throughput?.ReadCapacityUnits ?? 1) * (indexes + 1);
    const w = (throughput?.WriteCapacityUnits ?? 1) * (indexes + 1);
    add(
      'DynamoDB provisioned minimum (table and indexes)',
      `${r} RCU, ${w} WCU`,
      r * PRICES.rcuMonth + w * PRICES.wcuMonth,
    );
  }
  const mappings = of('AWS::Lambda::EventSourceMapping').length;
  add(
    'SQS idle long polls of the event source mappings (estimate; 1 M requests free)',
    `${mappings} mappings, ≈${Math.round((mappings * IDLE_POLLS_PER_MAPPING) / 1000)} K requests`,
    ((mappings * IDLE_POLLS_PER_MAPPING) / 1e6) * PRICES.sqsRequestPerMillion,
  );
  for (const acl of of('AWS::WAFv2::WebACL')) {
    const rules = (acl.Properties?.Rules as unknown[] | undefined)?.length ?? 0;
    add('AWS WAF web ACL', `1 web ACL, ${rules} rules`, PRICES.wafWebAcl + rules * PRICES.wafRule);
  }
  return items;
}

export const totalUsd = (items: readonly CostItem[]) =>
  Math.round(items.reduce((s, i) => s + i.usd, 0) * 100) / 100;

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: tsx infra/fixed-cost.ts <template.json>');
  const items = fixedMonthlyCost(JSON.parse(readFileSync(file, 'utf8')));
  for (const i of items) console.log(`${i.item.padEnd(80)} ${i.quantity.padEnd(34)} $${i.usd.toFixed(2)}`);
  console.log(`${'total'.padEnd(115)} $${totalUsd(items).toFixed(2)}`);
}
