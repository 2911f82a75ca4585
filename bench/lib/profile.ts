/**
 * Where a process's CPU went, from a V8 CPU profile (`--profile`): self time per category, so a
 * missed pipeline ratio can be attributed to the service's code, the AWS SDK client, the local
 * stand-ins (dynalite, fauxqs) or Node's own HTTP/runtime work.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const CATEGORIES: readonly [string, RegExp][] = [
  ['AWS SDK client (@aws-sdk, @smithy)', /\/node_modules\/(@aws-sdk|@smithy|@aws-crypto|@aws\/)/],
  [
    'stand-in: dynalite (+ in-memory LevelDB)',
    /\/node_modules\/(dynalite|level|memory-level|abstract-level|level-[\w-]+|memdown|lazy|big\.js|once|async|functional-red-black-tree|module-error|maybe-combine-errors)\//,
  ],
  [
    'stand-in: fauxqs (+ fastify)',
    /\/node_modules\/(fauxqs|fastify|@fastify|light-my-request|avvio|find-my-way|pino[\w-]*|fast-[\w-]+|secure-json-parse|rfdc|toad-cache)\//,
  ],
  ['zod', /\/node_modules\/zod\//],
  ['Powertools (logs, metrics, batch)', /\/node_modules\/@aws-lambda-powertools\//],
  ['other packages', /\/node_modules\//],
  ['service code (shared/, functions/)', /\/(shared|functions)\/[\w/.-]+\.ts/],
  ['local runtime (infra/local)', /\/infra\/local\//],
  ['bench and test harness', /\/(bench|test)\//],
  ['Node.js HTTP/net/streams', /^node:(_http|http|net|stream|internal\/(streams|http|net|stream_base))/],
  ['Node.js other', /^node:/],
];

export interface CpuBreakdown {
  total_ms: number;
  /** Share of sampled CPU time (idle excluded), per category. */
  share: Record<string, number>;
}

export async function startProfiler(): Promise<{ stop(file?: string): Promise<CpuBreakdown> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      session.disconnect();
      if (file !== undefined) await writeFile(file, JSON.stringify(profile));
      return breakdown(profile);
    },
  };
}

export function breakdown(profile: CpuProfile): CpuBreakdown {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] ?? -1);
    const dt = profile.timeDeltas[i] ?? 0;
    if (node === undefined) continue;
    const category = categorize(node.callFrame);
    if (category === undefined) continue; // idle
    self.set(category, (self.get(category) ?? 0) + dt);
    total += dt;
  }
  const share: Record<string, number> = {};
  for (const [category, t] of [...self].sort((a, b) => b[1] - a[1])) {
    share[category] = Math.round((t / total) * 1000) / 1000;
  }
  return { total_ms: Math.round(total / 1000), share };
}

function categorize(frame: { functionName: string; url: string }): string | undefined {
  if (frame.url === '') {
    if (frame.functionName === '(idle)') return undefined;
    if (frame.functionName === '(garbage collector)') return 'garbage collection';
    return 'V8/native (I/O syscalls, microtasks)';
  }
  for (const [name, re] of CATEGORIES) if (re.test(frame.url)) return name;
  return 'other';
}
