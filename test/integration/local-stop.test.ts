import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../infra/local/config';
import { PARENT_WATCH_INTERVAL_MS } from '../../infra/local/parent-watch';
import { closedPort } from '../support/ports';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';

/**
 * What a process manager does to `npm start`: SIGTERM to the npm process only. npm 11 exits without
 * passing the signal on; the service must notice and stop cleanly (port and DATA_DIR released).
 * The bound: one parent-watch interval to notice plus the runtime's own stop, which lets in-flight
 * requests finish for at most 10 s (infra/local/http.ts) — doubled and padded, since the machine is
 * shared: this asserts that it stops, not how fast.
 */
const STOP_BOUND_MS = 2 * (PARENT_WATCH_INTERVAL_MS + 10_000) + 20_000;

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('stopping the local runtime started with npm start', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it.each([
    ['the npm process', 'npm'],
    ['the tsx launcher between npm and the service', 'launcher'],
  ] as const)(
    'stops cleanly when only %s gets SIGTERM',
    async (_what, target) => {
      const dataDir = await mkdtemp(join(tmpdir(), 'local-stop-'));
      const port = await closedPort();
      const apiKey = `ork_${randomBytes(24).toString('base64url')}`;
      rememberSecret(apiKey);
      const output: string[] = [];
      const npm: ChildProcess = spawn('npm', ['start'], {
        cwd: join(import.meta.dirname, '../..'),
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          PORT: String(port),
          API_KEY: apiKey,
          SCAN_INTERVAL_SECONDS: '3600',
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      npm.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      npm.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      let mainPid: number | undefined;
      cleanup.push(async () => {
        // Only what this test started, by pid.
        if (npm.exitCode === null && npm.pid !== undefined) npm.kill('SIGKILL');
        if (mainPid !== undefined && alive(mainPid)) process.kill(mainPid, 'SIGKILL');
        await rm(dataDir, { recursive: true, force: true });
      });

      await until(
        'the service to answer /health',
        async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status === 200,
        90_000,
      );
      // The runtime's lock holds the pid of the process that serves: two launchers below npm.
      mainPid = Number((await readFile(join(dataDir, LOCK_FILE), 'utf8')).trim());
      expect(mainPid).not.toBe(npm.pid);
      expect(alive(mainPid)).toBe(true);

      const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
      if (target === 'npm') expect(npm.kill('SIGTERM')).toBe(true);
      else {
        const stat = await readFile(`/proc/${mainPid}/stat`, 'utf8');
        const launcher = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        expect(launcher).not.toBe(npm.pid);
        process.kill(launcher, 'SIGTERM');
      }
      await npmExited;

      const pid = mainPid;
      await until('the service process to exit', () => !alive(pid), STOP_BOUND_MS);
      expect(await portOpen(port)).toBe(false);
      // A clean stop releases DATA_DIR (the lock file is removed last).
      expect(existsSync(join(dataDir, LOCK_FILE))).toBe(false);
      expect(output.join('')).toMatch(
        target === 'npm' ? /npm\) exited|parent process \d+ exited/ : /SIGTERM: stopping/,
      );
    },
    180_000,
  );
});
