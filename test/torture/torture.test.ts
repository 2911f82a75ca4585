import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTorture, startTortureEnvironment, summaryLine, type TortureEnvironment } from './suite';

// A short fixed-seed slice of `npm run torture` (reliability.md promise 28): the same engine and
// oracle, few enough schedules to run in every `npm test`. A failure prints the shrunk schedule.
const SEED = 20_261_206;
const RUNS = 40;

describe('torture slice', () => {
  let env: TortureEnvironment;
  beforeAll(async () => {
    env = await startTortureEnvironment({ batches: true });
  });
  afterAll(async () => {
    await env?.close();
  });

  it(`loses no grant and violates no invariant over ${RUNS} random fault schedules (seed ${SEED})`, async () => {
    const summary = await runTorture(env, { runs: RUNS, seed: SEED, timeLimitMs: 45_000 });
    const report =
      summary.failure === undefined
        ? summaryLine(summary)
        : `${summary.failure.text}\n${summaryLine(summary)}`;
    expect(summary.grantsLost, report).toBe(0);
    expect(summary.violations, report).toBe(0);
    expect(summary.schedules).toBeGreaterThan(0);
  });
});
