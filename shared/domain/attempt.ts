import type { RefreshErrorCode } from './refresh-failure';

/** One refresh attempt as a connection's history records it (shared/history/ring.ts stores them compactly). */
export type AttemptTrigger = 'scheduled' | 'on_demand' | 'forced';
export type AttemptOutcome = 'refreshed' | 'failed' | 'not_needed';

export interface Attempt {
  /** Epoch ms, whole seconds. */
  readonly at: number;
  readonly trigger: AttemptTrigger;
  readonly outcome: AttemptOutcome;
  /** The failure's code (`failed` only). */
  readonly code: RefreshErrorCode | null;
  readonly durationMs: number;
}
