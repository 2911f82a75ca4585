import type { Logger } from '../../shared/ports/logger';

export interface ScanTimerOptions {
  readonly intervalMs: number;
  /** Delay of the first run, so a fresh start does not wait a whole interval. @default 1000 */
  readonly firstRunDelayMs?: number;
  readonly run: () => Promise<unknown>;
  readonly logger: Logger;
}

export interface ScanTimer {
  /** Runs once more after any run in progress, and resolves with that run's result. */
  runNow(): Promise<unknown>;
  /** Cancels future runs and waits for the one in progress. */
  stop(): Promise<void>;
}

/**
 * The local EventBridge Scheduler: calls `run` every `intervalMs`. Runs never overlap; a tick that
 * finds a run in progress is skipped rather than queued, so a slow scan cannot pile up work.
 */
export function startScanTimer(options: ScanTimerOptions): ScanTimer {
  let chain: Promise<unknown> = Promise.resolve();
  let busy = false;
  let stopped = false;

  const enqueue = (): Promise<unknown> => {
    const next = chain.then(async () => {
      busy = true;
      try {
        return await options.run();
      } finally {
        busy = false;
      }
    });
    chain = next.catch(() => undefined);
    return next;
  };
  const tick = () => {
    if (stopped || busy) return;
    enqueue().catch((error: unknown) => {
      options.logger.error('scheduled scan failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  };

  const first = setTimeout(tick, options.firstRunDelayMs ?? 1_000);
  const interval = setInterval(tick, options.intervalMs);
  return {
    runNow: () => (stopped ? Promise.reject(new Error('the scan timer is stopped')) : enqueue()),
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(interval);
      await chain;
    },
  };
}
