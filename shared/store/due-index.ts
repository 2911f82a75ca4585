import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { ConnectionKey } from '../domain/ids';
import { A } from './codec';
import { n, s } from './expression';
import { storeError } from './sdk-errors';
import { connectionKeyFromItemKeys, connectionSk, DUE_INDEX, integrationPk, OUTBOX_INDEX } from './table';

export interface IndexedConnection extends ConnectionKey {
  /** `due_at` or `outbox_at` as read from the index (epoch ms). */
  readonly at: number;
}

export interface IndexPage {
  readonly items: readonly IndexedConnection[];
  /** Index entries the query read (what it is billed for). */
  readonly scanned: number;
  readonly capacityUnits: number;
  readonly next: Record<string, AttributeValue> | undefined;
}

/**
 * Reads the sparse, sharded indexes (due-index, outbox-index) and claims due connections. A query
 * reads only entries with `at <= until` in one shard, so its cost follows the due work, not the
 * table size.
 */
export class DueIndex {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  queryDue(
    shard: number,
    until: number,
    limit: number,
    start?: Record<string, AttributeValue>,
  ): Promise<IndexPage> {
    return this.query(DUE_INDEX, shard, until, limit, start);
  }

  queryOutbox(
    shard: number,
    until: number,
    limit: number,
    start?: Record<string, AttributeValue>,
  ): Promise<IndexPage> {
    return this.query(OUTBOX_INDEX, shard, until, limit, start);
  }

  /**
   * Claims a due connection: pushes `due_at` from the value read to `until`, so the next scan does
   * not enqueue it again while its task waits in the queue. False when someone changed it first
   * (another scan claimed it, or a refresh committed a new due time).
   */
  async claim(key: ConnectionKey, seenDueAt: number, until: number): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: s(integrationPk(key.integrationId)), sk: s(connectionSk(key.connectionId)) },
          UpdateExpression: 'SET #due = :until',
          ConditionExpression: '#due = :seen',
          ExpressionAttributeNames: { '#due': A.dueAt },
          ExpressionAttributeValues: { ':until': n(until), ':seen': n(seenDueAt) },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw storeError('UpdateItem (claim)', error);
    }
  }

  private async query(
    index: { name: string; partitionKey: string; sortKey: string },
    shard: number,
    until: number,
    limit: number,
    start: Record<string, AttributeValue> | undefined,
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
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
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
      next: out.LastEvaluatedKey,
    };
  }
}
