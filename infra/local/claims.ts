import { DeleteItemCommand, type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SCAN_CLAIMS_PK_PREFIX } from '../../shared/store/table';

/**
 * Drops every scan claim. A claim says "a refresh task for this connection is in the refresh
 * queue": it keeps the next scans from sending it again. The local queues live in memory and
 * start empty (only a clean stop saves their messages), so after a crash the claims point at
 * tasks that no longer exist and would hold those connections back for the claim's 10 minutes.
 * Dropping them at start costs at most a duplicate task for a message a clean stop saved, which
 * the refresh's lease and re-check make harmless.
 * @returns how many claim items were dropped
 */
export async function dropScanClaims(client: DynamoDBClient, tableName: string): Promise<number> {
  let dropped = 0;
  let start: Record<string, { S?: string }> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :p)',
        ProjectionExpression: 'pk, sk',
        ExpressionAttributeValues: { ':p': { S: SCAN_CLAIMS_PK_PREFIX } },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? []) {
      if (item.pk === undefined || item.sk === undefined) continue;
      await client.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk } }));
      dropped += 1;
    }
    start = page.LastEvaluatedKey as Record<string, { S?: string }> | undefined;
  } while (start !== undefined);
  return dropped;
}
