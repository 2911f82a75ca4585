/** oidc-provider in a child process (./oidc-child.ts), and its own maximum refresh-grant rate. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { OidcStats } from '../../test/support/oidc';
import { runPool } from './stats';

export interface OidcProcess {
  readonly tokenUrl: string;
  /** The token endpoint behind a front that answers after `setLatency` ms. */
  readonly delayedTokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  mint(count: number): Promise<string[]>;
  stats(): Promise<OidcStats>;
  resetStats(): Promise<void>;
  /** The delay of `delayedTokenUrl`'s answers. */
  setLatency(ms: number): Promise<void>;
  close(): Promise<void>;
}

interface Reply {
  id?: number;
  type?: string;
  error?: string;
  tokens?: string[];
  stats?: OidcStats;
  tokenUrl?: string;
  delayedTokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
}

export async function startOidcProcess(): Promise<OidcProcess> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./oidc-child.ts', import.meta.url)), [], {
    // tsx's loader by URL, so the child starts whatever the current directory is.
    execArgv: ['--import', import.meta.resolve('tsx')],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (reply: Reply) => void>();
  let nextId = 1;
  const ready = new Promise<Reply>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`oidc-provider process exited (${code})`)));
    child.on('message', (raw) => {
      const reply = raw as Reply;
      if (reply.type === 'ready') resolve(reply);
      else if (reply.id !== undefined) {
        pending.get(reply.id)?.(reply);
        pending.delete(reply.id);
      }
    });
  });
  const info = await ready;
  const call = (message: Record<string, unknown>): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (reply) =>
        reply.error === undefined ? resolve(reply) : reject(new Error(reply.error)),
      );
      child.send({ ...message, id });
    });
  return {
    tokenUrl: info.tokenUrl ?? '',
    delayedTokenUrl: info.delayedTokenUrl ?? '',
    clientId: info.clientId ?? '',
    clientSecret: info.clientSecret ?? '',
    async mint(count) {
      const tokens: string[] = [];
      // In chunks: IPC messages stay small and the child stays responsive.
      for (let done = 0; done < count; done += 1000) {
        const reply = await call({ type: 'mint', count: Math.min(1000, count - done) });
        tokens.push(...(reply.tokens ?? []));
      }
      return tokens;
    },
    async stats() {
      const reply = await call({ type: 'stats' });
      if (reply.stats === undefined) throw new Error('no stats from oidc-provider process');
      return reply.stats;
    },
    async resetStats() {
      await call({ type: 'reset' });
    },
    async setLatency(ms) {
      await call({ type: 'latency', ms });
    },
    async close() {
      child.removeAllListeners('exit');
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call({ type: 'close' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * oidc-provider's own refresh-grant rate: `tokens.length` plain `fetch` refresh grants (client
 * authentication as the service sends it), `concurrency` in flight. Returns grants per second and
 * how many failed.
 */
export async function measureProviderRate(
  oidc: OidcProcess,
  tokenUrl: string,
  tokens: readonly string[],
  concurrency: number,
): Promise<{ ratePerSecond: number; seconds: number; failed: number }> {
  const authorization = `Basic ${Buffer.from(
    `${encodeURIComponent(oidc.clientId)}:${encodeURIComponent(oidc.clientSecret)}`,
  ).toString('base64')}`;
  let failed = 0;
  const started = performance.now();
  await runPool(tokens.length, concurrency, async (i) => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens[i] ?? '' }).toString(),
    });
    await res.arrayBuffer();
    if (res.status !== 200) failed += 1;
  });
  const seconds = (performance.now() - started) / 1000;
  return { ratePerSecond: tokens.length / seconds, seconds, failed };
}
