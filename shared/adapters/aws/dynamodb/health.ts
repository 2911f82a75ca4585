import { type AttributeValue, type DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import type { HealthReader, HealthRow } from '../../../ports/health';
import { A } from './codec';
import { ExpressionBuilder, s } from './expression';
import { storeCall } from './sdk-errors';
import { integrationPk } from './table';

/** Query pages (≤ 1 MB each) one health answer reads at most: ≈ 10,000 Google-sized connections. */
const MAX_PAGES = 10;

/**
 * The connections of one integration for `GET /v1/integrations/{id}/health`: a Query of the
 * integration's partition (connections only, a projection of five attributes). Chosen over
 * counters kept by the commits because those would add a write to every refresh, while this costs
 * an admin call about one read unit per 8 KB of connections (≈ 125 units for 1,000 connections,
 * eventually consistent) and works the same on dynalite and AWS.
 * @throws ServiceError `store_unavailable`
 */
export async function readHealthRows(
  client: DynamoDBClient,
  tableName: string,
  integrationId: string,
): Promise<{ rows: HealthRow[]; truncated: boolean }> {
  const rows: HealthRow[] = [];
  let start: Record<string, AttributeValue> | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const x = new ExpressionBuilder();
    const projection = [A.status, A.nextRefreshAt, A.reauthDueAt, A.attemptRing].map((a) => x.name(a));
    const out = await storeCall('Query', () =>
      client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: `${x.name('pk')} = ${x.value(s(integrationPk(integrationId)))} AND begins_with(${x.name('sk')}, ${x.value(s('C#'))})`,
          ProjectionExpression: projection.join(', '),
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          ...x.attributes(),
        }),
      ),
    );
    for (const item of out.Items ?? []) {
      const status = item[A.status]?.S;
      if (status !== 'active' && status !== 'failing' && status !== 'needs_reauth') continue;
      const num = (name: string) => {
        const v = item[name]?.N;
        return v === undefined ? null : Number(v);
      };
      rows.push({
        status,
        nextRefreshAt: num(A.nextRefreshAt),
        reauthDueAt: num(A.reauthDueAt),
        attemptRing: item[A.attemptRing]?.S ?? null,
      });
    }
    start = out.LastEvaluatedKey;
    if (start === undefined) return { rows, truncated: false };
  }
  return { rows, truncated: true };
}

/** {@link readHealthRows} as the health port. */
export class DynamoHealthReader implements HealthReader {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  rows(integrationId: string): Promise<{ rows: HealthRow[]; truncated: boolean }> {
    return readHealthRows(this.client, this.tableName, integrationId);
  }
}
