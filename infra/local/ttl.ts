import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE } from '../../shared/adapters/aws/dynamodb/table';
import type { Clock } from '../../shared/ports/clock';
import type { Logger } from '../../shared/ports/logger';
import { type ScanTimer, startScanTimer } from './timer';

/**
 * The local stand-in for DynamoDB TTL (dynalite has none): deletes the items whose `ttl` (epoch
 * seconds) has passed — expired connect sessions and scan claims — so a long-running local
 * runtime's table does not keep growing. Like DynamoDB's, it is housekeeping only: readers already
 * ignore expired items. A Scan of the whole table, which is fine for a local one.
 * @returns the number of items deleted
 */
export async function sweepExpiredItems(
  client: DynamoDBClient,
  tableName: string,
  clock: Clock,
): Promise<number> {
  return deleteMatching(client, tableName, {
    FilterExpression: '#ttl < :now',
    ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
    ExpressionAttributeValues: { ':now': { N: String(Math.floor(clock.now() / 1000)) } },
  });
}

/**
 * Deletes every item of the (local) table that a Scan filter matches, in batches of 25, retrying
 * unprocessed items. @returns the number of items deleted
 */
export async function deleteMatching(
  client: DynamoDBClient,
  tableName: string,
  filter: Pick<
    ScanCommandInput,
    'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
  >,
): Promise<number> {
  let deleted = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        ...filter,
        ProjectionExpression: 'pk, sk',
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    const keys = (page.Items ?? []).map(
      (item) => ({ pk: item.pk, sk: item.sk }) as Record<string, AttributeValue>,
    );
    for (let i = 0; i < keys.length; i += 25) {
      let requests: WriteRequest[] = keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
      while (requests.length > 0) {
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
        deleted += requests.length - (out.UnprocessedItems?.[tableName]?.length ?? 0);
        requests = out.UnprocessedItems?.[tableName] ?? [];
      }
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return deleted;
}

/**
 * Runs {@link sweepExpiredItems} every `intervalMs` on the local scheduler's timer (no overlapping
 * runs); a failed sweep is logged and the next one tries again.
 */
export function startTtlSweeper(options: {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly intervalMs: number;
}): ScanTimer {
  return startScanTimer({
    intervalMs: options.intervalMs,
    firstRunDelayMs: options.intervalMs,
    logger: options.logger,
    run: async () => {
      try {
        const deleted = await sweepExpiredItems(options.client, options.tableName, options.clock);
        if (deleted > 0) options.logger.debug('deleted expired items (local TTL)', { deleted });
      } catch (error) {
        options.logger.warn('local TTL sweep failed', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    },
  });
}
