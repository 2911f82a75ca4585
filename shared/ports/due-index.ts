import type { ConnectionKey } from '../domain/ids';

/** A connection as a due (or outbox) index lists it. */
export interface IndexedConnection extends ConnectionKey {
  /** `due_at` or `outbox_at` as read from the index (epoch ms). */
  readonly at: number;
}

/** Where a paged index read goes on: opaque, handed back as it was received. */
export type IndexCursor = { readonly __brand: 'IndexCursor' };

export interface IndexPage {
  readonly items: readonly IndexedConnection[];
  /** Index entries the read went through (what it is billed for). */
  readonly scanned: number;
  readonly capacityUnits: number;
  readonly next: IndexCursor | undefined;
}

/** The claims of earlier scans that still hold. */
export interface ActiveClaims {
  readonly size: number;
  /** Read capacity the claims cost to load. */
  readonly capacityUnits: number;
  has(item: IndexedConnection): boolean;
}

/**
 * The sharded, sparse indexes of connections that are due for a refresh or hold unpublished
 * events, and the scan's claims (a claim keeps the next scans from enqueueing a connection again
 * while its task waits in the queue). Reads cost what is due, not the table size.
 */
export interface DueIndex {
  /** Connections of `shard` due at or before `until`, oldest first. */
  queryDue(shard: number, until: number, limit: number, start?: IndexCursor): Promise<IndexPage>;
  /** Connections of `shard` whose outbox holds events written at or before `until`. */
  queryOutbox(shard: number, until: number, limit: number, start?: IndexCursor): Promise<IndexPage>;
  /** Claims on `shard` made within `claimMs` before `now`. */
  activeClaims(shard: number, now: number, claimMs: number): Promise<ActiveClaims>;
  /** Claims `items` (as enqueued by the scan at `runAt`) until `until`; returns the write's capacity units. */
  recordClaims(
    shard: number,
    runAt: number,
    until: number,
    items: readonly IndexedConnection[],
  ): Promise<number>;
}
