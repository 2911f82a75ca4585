import type { ConnectionStatus } from '../domain/connection';
import type { StoredConnection } from './store';

export interface ConnectionPageRequest {
  /** Only this integration's connections; otherwise every connection. */
  readonly integrationId?: string | undefined;
  readonly status?: ConnectionStatus | undefined;
  /** api.md v1.1: only connections whose `reauth_due_at` is before this (epoch ms). */
  readonly reauthDueBefore?: number | undefined;
  readonly limit: number;
  /** A `next` of an earlier page of the same listing. */
  readonly cursor?: string | undefined;
}

export interface ConnectionPage {
  readonly items: StoredConnection[];
  /** Opaque: where the next page starts (null when the listing is exhausted). Reveals no storage layout. */
  readonly next: string | null;
}

/** Connection listings for the admin API; never on a hot path. */
export interface ConnectionListing {
  /**
   * One page, filled up to `limit` within a bounded amount of reading (a short page may carry a cursor).
   * @throws InvalidCursorError when `cursor` is not one this listing returned (or belongs to another integration's listing)
   */
  page(request: ConnectionPageRequest): Promise<ConnectionPage>;
}
