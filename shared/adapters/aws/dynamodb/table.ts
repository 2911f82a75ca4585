import { createHash } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import type { ConnectionKey } from '../../../domain/ids';

/**
 * Single-table layout. One partition per integration; the integration item and its connections
 * live side by side, so listing an integration's connections is a Query, and "does this integration
 * still have connections" reads one item.
 *
 * | item        | pk            | sk        |
 * |-------------|---------------|-----------|
 * | integration | `I#<iid>`     | `I`       |
 * | connection  | `I#<iid>`     | `C#<cid>` |
 * | scan claims | `SCAN#<shard>`| `<run at, ms, 15 digits>#<run>#<part>` |
 *
 * The due index is a sparse GSI: only connections that are scheduled carry `due_shard` and `due_at`
 * (a `needs_reauth` connection drops out of it). Its partition key is sharded
 * (`hash(connection) mod shards`) so the scheduler reads N small partitions in parallel and never
 * a hot one; its sort key `due_at` (epoch ms) lets a Query read only what is due, whatever the table size.
 */
export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const DUE_INDEX = { name: 'due-index', partitionKey: 'due_shard', sortKey: 'due_at' } as const;
/**
 * A second sparse GSI holds connections whose outbox has unpublished events (set in the same write
 * as the events, removed when the outbox is emptied), so the scheduler republishes events that a
 * crash kept from being published, reading only those items.
 */
export const OUTBOX_INDEX = {
  name: 'outbox-index',
  partitionKey: 'outbox_shard',
  sortKey: 'outbox_at',
} as const;

/**
 * Items that expire carry their expiry here (epoch seconds); DynamoDB TTL deletes them (the local
 * runtime sweeps them itself). Connect sessions and scan claims.
 */
export const TTL_ATTRIBUTE = 'ttl';

/** Partition key prefix of the scheduler's claim items (shared/adapters/aws/dynamodb/due-index.ts). */
export const SCAN_CLAIMS_PK_PREFIX = 'SCAN#';

export const integrationPk = (integrationId: string): string => `I#${integrationId}`;
export const INTEGRATION_SK = 'I';
export const connectionSk = (connectionId: string): string => `C#${connectionId}`;

export function connectionKeyFromItemKeys(pk: string, sk: string): ConnectionKey | null {
  if (!pk.startsWith('I#') || !sk.startsWith('C#')) return null;
  return { integrationId: pk.slice(2), connectionId: sk.slice(2) };
}

/** Stable shard of a connection in the due index. */
export function dueShardOf(key: ConnectionKey, shards: number): number {
  const digest = createHash('sha256').update(`${key.integrationId}\u0000${key.connectionId}`).digest();
  return digest.readUInt32BE(0) % shards;
}

/** The table as tests and the local runtime create it (the CDK construct mirrors it). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      { AttributeName: DUE_INDEX.partitionKey, AttributeType: 'N' },
      { AttributeName: DUE_INDEX.sortKey, AttributeType: 'N' },
      { AttributeName: OUTBOX_INDEX.partitionKey, AttributeType: 'N' },
      { AttributeName: OUTBOX_INDEX.sortKey, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DUE_INDEX.name,
        KeySchema: [
          { AttributeName: DUE_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: DUE_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        // Keys only: the scheduler needs identifiers, nothing else (pk/sk are always projected).
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: OUTBOX_INDEX.name,
        KeySchema: [
          { AttributeName: OUTBOX_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: OUTBOX_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}
