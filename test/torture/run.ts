// `npm run torture -- [--runs N] [--seed S] [--path P] [--only kind,kind] [--survey] [--time-limit SECONDS]`
// Randomised fault-injection schedules against the refresh core (reliability.md promise 28). Ends with
// exactly one summary line; exits 1 when a grant was lost or an invariant violated, printing the
// shrunk schedule first.
import { parseArgs } from 'node:util';
import { describeSchedule } from './schedule';
import { runTorture, startTortureEnvironment, summaryLine } from './suite';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '2000' },
    seed: { type: 'string' },
    path: { type: 'string' },
    only: { type: 'string' },
    survey: { type: 'boolean', default: false },
    'time-limit': { type: 'string', default: '540' },
    'no-batches': { type: 'boolean', default: false },
  },
  allowPositionals: false,
});

const runs = Number(values.runs);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) {
  process.stderr.write(
    'usage: npm run torture -- [--runs N] [--seed S] [--path P] [--only kinds] [--survey]\n',
  );
  process.exit(2);
}
process.env.LOG_LEVEL ??= 'INFO';

const env = await startTortureEnvironment({ batches: !values['no-batches'] });
let code = 0;
try {
  const summary = await runTorture(env, {
    runs,
    seed,
    ...(values.path === undefined ? {} : { path: values.path }),
    ...(values.only === undefined ? {} : { only: values.only.split(',') }),
    survey: values.survey,
    timeLimitMs: Number(values['time-limit']) * 1000,
  });
  if (values.survey) {
    for (const [kind, entry] of [...summary.kinds.entries()].sort()) {
      process.stdout.write(
        `${kind}: ${entry.count} time(s), first in ${entry.first} (${entry.detail})\n${describeSchedule(entry.schedule)}\n`,
      );
    }
  }
  if (summary.failure !== undefined) process.stdout.write(`${summary.failure.text}\n`);
  const rate = Math.round((summary.schedules / Math.max(1, summary.elapsedMs)) * 60_000);
  process.stderr.write(`(${(summary.elapsedMs / 1000).toFixed(1)} s, ${rate} schedules/min)\n`);
  process.stdout.write(`${summaryLine(summary)}\n`);
  code = summary.grantsLost > 0 || summary.violations > 0 ? 1 : 0;
} finally {
  await env.close();
}
process.exit(code);
