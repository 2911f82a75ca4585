import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** How often the launcher chain is checked: the longest a stop waits to be noticed. */
export const PARENT_WATCH_INTERVAL_MS = 1_000;

/** npm or npx running a script (`npm start`, `npm run ...`, `npx tsx ...`). */
const NPM = /(^|[\s/])(npm|npx|npm-cli\.js|npx-cli\.js)(\s|$)/;
/** Processes that may sit between npm and this one: the script's shell and the tsx launcher. */
const INTERMEDIATE = /(^|[\s/])(sh|bash|dash|zsh|tsx|node)(\s|$)/;
/** How far up npm is looked for (npm → sh → tsx → node is three levels). */
const MAX_DEPTH = 4;

interface ProcessInfo {
  readonly ppid: number;
  readonly command: string;
}

/** A process's parent and command line: `/proc` on Linux, `ps` elsewhere; null when it is gone. */
function processInfo(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid ...`: comm may contain spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return Number.isInteger(ppid) ? { ppid, command } : null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return null;
  }
  if (process.platform === 'linux') return null; // no /proc entry: the process is gone
  try {
    const out = execFileSync('ps', ['-o', 'ppid=,command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    const match = /^(\d+)\s+(.*)$/.exec(out);
    return match === null ? null : { ppid: Number(match[1]), command: match[2] ?? '' };
  } catch {
    return null;
  }
}

/**
 * The processes this one's life hangs on: when it was started through npm (`npm start`) or npx, the
 * chain from its parent up to that npm process; otherwise none beyond its parent. npm 11 does not
 * pass SIGTERM on to the script it runs: a process manager that signals npm sees npm exit while
 * the service keeps running, holding its port and DATA_DIR. Watching the chain closes that gap.
 */
export function launcherChain(ppid = process.ppid): number[] {
  const chain: number[] = [];
  let current = ppid;
  for (let depth = 0; depth < MAX_DEPTH && current > 1; depth++) {
    const info = processInfo(current);
    if (info === null) break;
    chain.push(current);
    if (NPM.test(info.command)) return chain;
    if (!INTERMEDIATE.test(info.command)) break;
    current = info.ppid;
  }
  return [];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: an existence check, nothing is sent
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ParentWatch {
  /** The watched pids (parent first, npm last); empty when there was nothing to watch. */
  readonly watched: readonly number[];
  stop(): void;
}

/**
 * When this process runs under npm (see {@link launcherChain}): calls `onOrphaned` once when its
 * parent goes away (its `ppid` changes) or any process of the chain up to npm exits, checked every
 * `intervalMs`. The timer does not keep the process alive. Run directly (`node --import tsx ...`,
 * under systemd, in a container, or `nohup`), nothing is watched: whoever started it signals it
 * directly, and a shell that exits after starting it in the background does not stop it.
 */
export function watchParent(
  onOrphaned: (reason: string) => void,
  options: { readonly intervalMs?: number; readonly chain?: readonly number[] } = {},
): ParentWatch {
  const parent = process.ppid;
  const chain = options.chain ?? launcherChain();
  if (chain.length === 0) return { watched: [], stop: () => {} };
  let fired = false;
  const timer = setInterval(() => {
    if (fired) return;
    const gone =
      process.ppid !== parent ? `parent process ${parent} exited` : chain.find((pid) => !alive(pid));
    if (gone === undefined) return;
    fired = true;
    clearInterval(timer);
    onOrphaned(typeof gone === 'string' ? gone : `launcher process ${gone} (npm) exited`);
  }, options.intervalMs ?? PARENT_WATCH_INTERVAL_MS);
  timer.unref();
  return { watched: chain, stop: () => clearInterval(timer) };
}
