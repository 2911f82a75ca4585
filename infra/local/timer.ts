import type { Logger } from '../../shared/ports/logger';

export interface ScanTimerOptions {
  readonly intervalMs: number;
  /** Delay of the first run, so a fresh start does not wait a whole interval. @default 1000 */
  readonly firstRunDelayMs?: number;
  /** Start with scheduled runs paused (an operator paused them before the last stop). @default false */
  readonly paused?: boolean;
  readonly run: () => Promise<unknown>;
  readonly logger: Logger;
}

/** What `npm run ops -- schedule status` shows of the local schedule. */
export interface ScanTimerStatus {
  readonly state: 'ENABLED' | 'DISABLED';
  readonly intervalMs: number;
  /** Since when scheduled runs are paused (ISO), or null. */
  readonly pausedAt: string | null;
  /** Runs started by the timer's own ticks (not by `runNow`). */
  readonly scheduledRuns: number;
  /** Runs started by `runNow`. */
  readonly manualRuns: number;
  /** Ticks that found the timer paused and ran nothing. */
  readonly ticksWhilePaused: number;
  /** When the last run (of either kind) started (ISO), or null. */
  readonly lastRunAt: string | null;
}

export interface ScanTimer {
  /** Runs once more after any run in progress, and resolves with that run's result (also while paused). */
  runNow(): Promise<unknown>;
  /** Scheduled runs stop until {@link resume}; a run in progress finishes. Idempotent. */
  pause(): void;
  /** Scheduled runs start again at the next tick. Idempotent. */
  resume(): void;
  status(): ScanTimerStatus;
  /** Cancels future runs and waits for the one in progress. */
  stop(): Promise<void>;
}

/**
 * The local EventBridge Scheduler: calls `run` every `intervalMs`. Runs never overlap; a tick that
 * finds a run in progress is skipped rather than queued, so a slow scan cannot pile up work. Like a
 * schedule's state DISABLED, `pause()` stops the scheduled runs (the ticks keep counting).
 */
export function startScanTimer(options: ScanTimerOptions): ScanTimer {
  let chain: Promise<unknown> = Promise.resolve();
  let busy = false;
  let stopped = false;
  let pausedAt: Date | null = options.paused === true ? new Date() : null;
  let scheduledRuns = 0;
  let manualRuns = 0;
  let ticksWhilePaused = 0;
  let lastRunAt: Date | null = null;

  const enqueue = (): Promise<unknown> => {
    const next = chain.then(async () => {
      busy = true;
      lastRunAt = new Date();
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
    if (stopped) return;
    if (pausedAt !== null) {
      ticksWhilePaused += 1;
      return;
    }
    if (busy) return;
    scheduledRuns += 1;
    enqueue().catch((error: unknown) => {
      options.logger.error('scheduled scan failed', {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  };

  const first = setTimeout(tick, options.firstRunDelayMs ?? 1_000);
  const interval = setInterval(tick, options.intervalMs);
  return {
    runNow: () => {
      if (stopped) return Promise.reject(new Error('the scan timer is stopped'));
      manualRuns += 1;
      return enqueue();
    },
    pause() {
      pausedAt ??= new Date();
    },
    resume() {
      pausedAt = null;
    },
    status: () => ({
      state: pausedAt === null ? 'ENABLED' : 'DISABLED',
      intervalMs: options.intervalMs,
      pausedAt: pausedAt?.toISOString() ?? null,
      scheduledRuns,
      manualRuns,
      ticksWhilePaused,
      lastRunAt: lastRunAt?.toISOString() ?? null,
    }),
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(interval);
      await chain;
    },
  };
}
