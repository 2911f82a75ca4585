import { createHash, randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import type {
  ActiveClaims,
  DueIndex,
  IndexCursor,
  IndexedConnection,
  IndexPage,
} from '../../../ports/due-index';
import { n, s } from './expression';
import { storeError } from './sdk-errors';
import {
  connectionKeyFromItemKeys,
  DUE_INDEX,
  OUTBOX_INDEX,
  SCAN_CLAIMS_PK_PREFIX,
  TTL_ATTRIBUTE,
} from './table';

/** Claims per claims item: 8 bytes each, so an item stays far below DynamoDB's 400 KB. */
const CLAIMS_PER_ITEM = 40_000;
const CLAIM_UNTIL = 'claimed_until';
const CLAIM_FINGERPRINTS = 'claims';

/** Scan claims of one shard live in their own partition, beside (never among) the connections. */
export const claimsPk = (shard: number): string => `${SCAN_CLAIMS_PK_PREFIX}${shard}`;
const claimsSkPrefix = (at: number): string => String(Math.max(0, Math.floor(at))).padStart(15, '0');

/**
 * What a claim names: one connection at one due time. A connection whose due time changed since
 * (refreshed, backed off, re-imported) is a different claim, so it is never held back by an old one.
 */
function claimFingerprint(item: IndexedConnection): Buffer {
  return createHash('sha256')
    .update(`${item.integrationId}\u0000${item.connectionId}\u0000${item.at}`)
    .digest()
    .subarray(0, 8);
}

/** The fingerprints of active claims (64 bits each: a false match among 10⁵ claims is ~10⁻⁹ likely). */
export class ClaimSet implements ActiveClaims {
  private readonly fingerprints = new Set<string>();
  /** Read capacity the claims cost to load. */
  capacityUnits = 0;

  get size(): number {
    return this.fingerprints.size;
  }

  addAll(packed: Uint8Array): void {
    const buffer = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
    for (let i = 0; i + 8 <= buffer.length; i += 8) this.fingerprints.add(buffer.toString('hex', i, i + 8));
  }

  has(item: IndexedConnection): boolean {
    return this.fingerprints.has(claimFingerprint(item).toString('hex'));
  }
}

/**
 * Reads the sparse, sharded indexes (due-index, outbox-index) and keeps the scan claims. A query
 * reads only entries with `at <= until` in one shard, so its cost follows the due work, not the
 * table size.
 *
 * A claim keeps the next scans from enqueueing a connection again while its task waits in the
 * queue. Claims are not written to the connections (a per-connection write that moves `due_at`
 * would cost one table write plus two index writes per refresh, 3 of 7 write units): each scan
 * writes the fingerprints of what it enqueued to one item per shard, and the next scans read them
 * back, strongly consistent.
 */
export class DynamoDueIndex implements DueIndex {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  queryDue(shard: number, until: number, limit: number, start?: IndexCursor): Promise<IndexPage> {
    return this.query(DUE_INDEX, shard, until, limit, start);
  }

  queryOutbox(shard: number, until: number, limit: number, start?: IndexCursor): Promise<IndexPage> {
    return this.query(OUTBOX_INDEX, shard, until, limit, start);
  }

  /**
   * The claims of earlier scans of `shard` that still hold at `now`: one fingerprint per
   * (connection, due time) enqueued. Read strongly consistent, so a scan sees the claims a scan
   * that finished just before it wrote.
   */
  async activeClaims(shard: number, now: number, claimMs: number): Promise<ClaimSet> {
    const claims = new ClaimSet();
    let start: Record<string, AttributeValue> | undefined;
    do {
      let out: QueryCommandOutput;
      try {
        out = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: '#pk = :pk AND #sk > :from',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
            ExpressionAttributeValues: {
              ':pk': s(claimsPk(shard)),
              ':from': s(claimsSkPrefix(now - claimMs)),
            },
            ConsistentRead: true,
            ReturnConsumedCapacity: 'TOTAL',
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        );
      } catch (error) {
        throw storeError('Query (scan claims)', error);
      }
      for (const item of out.Items ?? []) {
        const until = Number(item[CLAIM_UNTIL]?.N);
        const fingerprints = item[CLAIM_FINGERPRINTS]?.B;
        if (!(until > now) || fingerprints === undefined) continue;
        claims.addAll(fingerprints);
      }
      claims.capacityUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return claims;
  }

  /**
   * Records that `items` of `shard` were enqueued at `runAt` and are claimed until `until`: one
   * item per 40,000 claims (8 bytes each), whatever their number, instead of one write per
   * connection. DynamoDB TTL deletes it an hour after it runs out.
   * @returns the write capacity consumed
   */
  async recordClaims(
    shard: number,
    runAt: number,
    until: number,
    items: readonly IndexedConnection[],
  ): Promise<number> {
    if (items.length === 0) return 0;
    const run = randomBytes(6).toString('base64url');
    let units = 0;
    for (let part = 0; part * CLAIMS_PER_ITEM < items.length; part++) {
      const slice = items.slice(part * CLAIMS_PER_ITEM, (part + 1) * CLAIMS_PER_ITEM);
      const fingerprints = Buffer.concat(slice.map((item) => claimFingerprint(item)));
      try {
        const out = await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: {
              pk: s(claimsPk(shard)),
              sk: s(`${claimsSkPrefix(runAt)}#${run}#${part}`),
              [CLAIM_UNTIL]: n(until),
              [CLAIM_FINGERPRINTS]: { B: fingerprints },
              [TTL_ATTRIBUTE]: n(Math.ceil(until / 1000) + 3600),
            },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        units += out.ConsumedCapacity?.CapacityUnits ?? 0;
      } catch (error) {
        throw storeError('PutItem (scan claims)', error);
      }
    }
    return units;
  }

  private async query(
    index: { name: string; partitionKey: string; sortKey: string },
    shard: number,
    until: number,
    limit: number,
    start: IndexCursor | undefined,
  ): Promise<IndexPage> {
    let out: QueryCommandOutput;
    try {
      out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#shard = :shard AND #at <= :until',
          ExpressionAttributeNames: { '#shard': index.partitionKey, '#at': index.sortKey },
          ExpressionAttributeValues: { ':shard': n(shard), ':until': n(until) },
          Limit: limit,
          ReturnConsumedCapacity: 'TOTAL',
          ...(start === undefined ? {} : { ExclusiveStartKey: fromCursor(start) }),
        }),
      );
    } catch (error) {
      throw storeError(`Query on ${index.name}`, error);
    }
    const items: IndexedConnection[] = [];
    for (const item of out.Items ?? []) {
      const key = connectionKeyFromItemKeys(item.pk?.S ?? '', item.sk?.S ?? '');
      const at = Number(item[index.sortKey]?.N);
      if (key !== null && Number.isFinite(at)) items.push({ ...key, at });
    }
    return {
      items,
      scanned: out.ScannedCount ?? items.length,
      capacityUnits: out.ConsumedCapacity?.CapacityUnits ?? 0,
      next: out.LastEvaluatedKey === undefined ? undefined : toCursor(out.LastEvaluatedKey),
    };
  }
}

/** The index's paging key, carried opaquely by the scan between pages of one run (never public). */
function toCursor(key: Record<string, AttributeValue>): IndexCursor {
  return key as unknown as IndexCursor;
}

function fromCursor(cursor: IndexCursor): Record<string, AttributeValue> {
  return cursor as unknown as Record<string, AttributeValue>;
}
