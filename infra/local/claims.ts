import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SCAN_CLAIMS_PK_PREFIX } from '../../shared/adapters/aws/dynamodb/table';
import { deleteMatching } from './ttl';

/**
 * Drops every scan claim. A claim says "a refresh task for this connection is in the refresh
 * queue": it keeps the next scans from sending it again. The local queues live in memory and
 * start empty (only a clean stop saves their messages), so after a crash the claims point at
 * tasks that no longer exist and would hold those connections back for the claim's 10 minutes.
 * Dropping them at start costs at most a duplicate task for a message a clean stop saved, which
 * the refresh's lease and re-check make harmless.
 * @returns how many claim items were dropped
 */
export function dropScanClaims(client: DynamoDBClient, tableName: string): Promise<number> {
  return deleteMatching(client, tableName, {
    FilterExpression: 'begins_with(pk, :p)',
    ExpressionAttributeValues: { ':p': { S: SCAN_CLAIMS_PK_PREFIX } },
  });
}
