import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { sweepExpiredItems } from '../../infra/local/ttl';
import { DynamoDueIndex } from '../../shared/adapters/aws/dynamodb/due-index';
import { ManualClock } from '../support/clock';
import { useTestTable } from '../support/test-table';

describe('local TTL stand-in', () => {
  const db = useTestTable();
  const clock = new ManualClock();

  const exists = async (pk: string, sk: string) =>
    (
      await db.dynamo.client.send(
        new GetItemCommand({ TableName: db.table, Key: { pk: { S: pk }, sk: { S: sk } } }),
      )
    ).Item !== undefined;

  it('deletes items whose ttl has passed (scan claims, sessions) and keeps the rest', async () => {
    const now = clock.now();
    const index = new DynamoDueIndex(db.dynamo.client, db.table);
    // A scan claim that runs out in 10 minutes carries a ttl an hour after that.
    await index.recordClaims(3, now, now + 600_000, [
      { integrationId: 'acme', connectionId: 'c-1', at: now },
    ]);
    const put = (pk: string, ttl?: number) =>
      db.dynamo.client.send(
        new PutItemCommand({
          TableName: db.table,
          Item: { pk: { S: pk }, sk: { S: 'S' }, ...(ttl === undefined ? {} : { ttl: { N: String(ttl) } }) },
        }),
      );
    await put('CS#expired', Math.floor(now / 1000) - 1);
    await put('CS#live', Math.floor(now / 1000) + 600);
    await put('I#acme'); // no ttl: never expires

    expect(await sweepExpiredItems(db.dynamo.client, db.table, clock)).toBe(1);
    expect(await exists('CS#expired', 'S')).toBe(false);
    expect(await exists('CS#live', 'S')).toBe(true);
    expect(await exists('I#acme', 'S')).toBe(true);
    expect((await index.activeClaims(3, now, 600_000)).size).toBe(1);

    clock.advance(600_000 + 3_600_000 + 1_000);
    expect(await sweepExpiredItems(db.dynamo.client, db.table, clock)).toBe(2); // the claim and CS#live
    expect(await exists('I#acme', 'S')).toBe(true);
    expect((await index.activeClaims(3, now, 600_000)).size).toBe(0);
  });
});
