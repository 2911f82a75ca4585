// The torture suite's engine, shared by `npm run torture` (run.ts) and the CI slice (torture.test.ts):
// starts dynalite once, runs fast-check over random schedules, and sums up what the oracle saw.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { startTestDynalite, type TestDynamo } from '../support/dynamo';
import { faultyDynamoClient, SdkFaultPlan } from '../support/sdk-faults';
import { createBatchDriver } from './batches';
import type { Violation } from './oracle';
import { describeSchedule, type Schedule, scheduleArbitrary } from './schedule';
import { runSchedule, type Shared } from './world';

export interface TortureOptions {
  readonly runs: number;
  readonly seed: number;
  /** Replay a counterexample path printed by an earlier run. */
  readonly path?: string;
  /** Only these violation kinds fail a schedule (to hunt one defect). */
  readonly only?: readonly string[];
  /** Run every schedule and tally violation kinds instead of stopping at the first failure. */
  readonly survey?: boolean;
  /** Drive the real refresher handler with overlapping batches (sets the process environment). */
  readonly batches?: boolean;
  /** Stop generating (and shrinking) after this long. */
  readonly timeLimitMs?: number;
}

export interface TortureSummary {
  readonly schedules: number;
  readonly faults: number;
  readonly grantsLost: number;
  readonly violations: number;
  readonly seed: number;
  readonly failure?: {
    readonly schedule: Schedule;
    readonly violations: readonly Violation[];
    /** Grants the shrunk schedule loses through the service's fault. */
    readonly grantsLost: number;
    readonly path: string | undefined;
    readonly text: string;
  };
  /** Survey mode: per violation kind, how many schedules showed it and the first of them. */
  readonly kinds: ReadonlyMap<string, { count: number; first: string; detail: string; schedule: Schedule }>;
  readonly elapsedMs: number;
}

/** The one summary line `npm run torture` ends with. */
export function summaryLine(s: TortureSummary): string {
  return `torture: ${s.schedules} schedules, ${s.faults} faults injected, ${s.grantsLost} grants lost, ${s.violations} invariant violations (seed ${s.seed})`;
}

export interface TortureEnvironment {
  readonly shared: Shared;
  close(): Promise<void>;
}

export async function startTortureEnvironment(
  options: { batches?: boolean } = {},
): Promise<TortureEnvironment> {
  const dynamo: TestDynamo = await startTestDynalite();
  const table = await dynamo.newTable();
  const plans = [new SdkFaultPlan(), new SdkFaultPlan(), new SdkFaultPlan()];
  const clients = plans.map((plan) => faultyDynamoClient(dynamo.endpoint, plan));
  const batches = options.batches
    ? await createBatchDriver({ dynamodbEndpoint: dynamo.endpoint, table })
    : undefined;
  const shared: Shared = {
    dynamo,
    table,
    masterKey: randomBytes(32),
    clients,
    plans,
    runTag: randomBytes(3).toString('hex'),
    ...(batches === undefined ? {} : { batches }),
  };
  return {
    shared,
    close: async () => {
      for (const client of clients) client.destroy();
      await dynamo.close();
    },
  };
}

export async function runTorture(env: TortureEnvironment, options: TortureOptions): Promise<TortureSummary> {
  const started = Date.now();
  let schedules = 0;
  let faults = 0;
  let seq = 0;
  let firstFailure: { lost: number; violations: number } | undefined;
  const kinds = new Map<string, { count: number; first: string; detail: string; schedule: Schedule }>();
  let surveyLost = 0;
  let surveyViolations = 0;
  const relevant = (vs: readonly Violation[]) =>
    options.only === undefined ? vs : vs.filter((v) => options.only?.includes(v.kind));

  const property = fc.asyncProperty(scheduleArbitrary, async (schedule) => {
    seq += 1;
    const report = await runSchedule(env.shared, schedule, seq);
    schedules += 1;
    faults += report.faults;
    const failing = relevant(report.violations);
    if (options.survey) {
      surveyLost += report.grantsLost;
      surveyViolations += report.violations.length;
      for (const v of report.violations) {
        const entry = kinds.get(v.kind);
        if (entry === undefined)
          kinds.set(v.kind, {
            count: 1,
            first: `schedule #${schedules}`,
            detail: `step ${v.step}: ${v.detail}`,
            schedule,
          });
        else entry.count += 1;
      }
      return true;
    }
    if (failing.length > 0 && firstFailure === undefined) {
      firstFailure = { lost: report.grantsLost, violations: report.violations.length };
    }
    return failing.length === 0;
  });

  const result = await fc.check(property, {
    numRuns: options.runs,
    seed: options.seed,
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.timeLimitMs === undefined ? {} : { interruptAfterTimeLimit: options.timeLimitMs }),
    markInterruptAsFailure: false,
  });

  let failure: TortureSummary['failure'];
  if (result.failed && result.counterexample !== null) {
    const [schedule] = result.counterexample;
    seq += 1;
    const replay = await runSchedule(env.shared, schedule, seq);
    const violations = relevant(replay.violations);
    failure = {
      schedule,
      violations,
      grantsLost: replay.grantsLost,
      path: result.counterexamplePath ?? undefined,
      text: [
        `shrunk schedule (seed ${options.seed}, path ${result.counterexamplePath ?? '-'}, found after ${result.numRuns} run(s), ${result.numShrinks} shrink(s)):`,
        describeSchedule(schedule),
        'violations:',
        ...violations.map(
          (v) => `  - [${v.kind}] ${v.step === 0 ? 'at the end' : `step ${v.step}`}: ${v.detail}`,
        ),
      ].join('\n'),
    };
  }
  return {
    schedules,
    faults,
    grantsLost: options.survey ? surveyLost : (failure?.grantsLost ?? firstFailure?.lost ?? 0),
    violations: options.survey
      ? surveyViolations
      : (failure?.violations.length ?? firstFailure?.violations ?? 0),
    seed: options.seed,
    ...(failure === undefined ? {} : { failure }),
    kinds,
    elapsedMs: Date.now() - started,
  };
}
