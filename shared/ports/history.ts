import type { Attempt } from '../domain/attempt';
import type { OutboxEvent } from '../domain/events';
import type { ConnectionKey } from '../domain/ids';
import type { LastError } from '../domain/refresh-failure';

/** How long history is kept unless configured (`HISTORY_RETENTION_DAYS`). */
export const DEFAULT_HISTORY_RETENTION_MS = 30 * 86_400_000;

/** api.md v1.1 history `delivery` of an event. */
export type Delivery = 'pending' | 'delivered' | 'dead_lettered';

/**
 * Where a connection's history goes beside the ring its item carries (shared/history/ring.ts).
 * Every method is one idempotent write; callers treat each as best effort (a history record is
 * never worth a failed refresh, import or delivery) and call them only after their own commit.
 */
export interface HistoryRecorder {
  /** Attempts that left the ring, as one item. */
  attempts(key: ConnectionKey, attempts: readonly Attempt[]): Promise<void>;
  /** A failed attempt in full (the error as `last_error`), counted for the integration's health too. */
  failure(key: ConnectionKey, attempt: Attempt, error: LastError): Promise<void>;
  /** Events written with a commit (transitions, `connection.reauth_due`), delivery `pending` unless known. */
  events(key: ConnectionKey, events: readonly OutboxEvent[]): Promise<void>;
  /** What became of an event's delivery (the webhook sender). */
  delivery(event: OutboxEvent, delivery: Delivery): Promise<void>;
  /** New credentials: an import or a reconnect through the connect flow. */
  grant(key: ConnectionKey, kind: 'import' | 'reconnect', at: number, newGrant: boolean): Promise<void>;
  /** Token reads of one UTC day (`YYYY-MM-DD`), added to the day's count. */
  tokenReads(key: ConnectionKey, day: string, count: number): Promise<void>;
}

/** One history item as stored: its kind (A attempts, F failure, T event, G grant, R token reads). */
export interface HistoryItem {
  readonly sk: string;
  readonly kind: 'A' | 'F' | 'T' | 'G' | 'R';
  readonly at: number;
  readonly raw: Record<string, unknown>;
}

/** Reads a connection's history back (api.md v1.1 `GET .../history`, integration health). */
export interface HistoryReader {
  /** How long history is kept. */
  readonly retentionMs: number;
  /** History items newest first, with positions before `before` (all when undefined). */
  page(
    key: ConnectionKey,
    limit: number,
    before: string | undefined,
  ): Promise<{ items: HistoryItem[]; more: boolean }>;
  /** Failures by code of an integration since `since`. */
  failureCounts(integrationId: string, since: number): Promise<Record<string, number>>;
}
