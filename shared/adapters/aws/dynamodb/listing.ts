import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { Keyring } from '../../../ports/keyring';
import type { ConnectionListing, ConnectionPage, ConnectionPageRequest } from '../../../ports/listing';
import type { StoredConnection } from '../../../ports/store';
import { A, decodeConnection } from './codec';
import { openCursor, type PageKey, sealCursor } from './cursor';
import { ExpressionBuilder, n, s } from './expression';
import { storeCall } from './sdk-errors';
import { connectionSk, integrationPk } from './table';

/**
 * Listings for the admin API (api.md `GET /v1/integrations`, `GET /v1/connections`). Kept apart
 * from the stores the refresh path uses: these read many items and are never on a hot path.
 */

/**
 * DynamoDB pages read per API call at most. A selective `status` filter over a big table could
 * otherwise read the whole table in one request (and outlive API Gateway's 30 s); past the budget
 * the page is returned short, with a cursor.
 */
const MAX_READS_PER_PAGE = 20;
/** Items evaluated per read when a filter may drop some: fewer round trips for sparse matches. */
const FILTERED_READ_SIZE = 200;

/**
 * One page of connections, filled up to `limit` across as many DynamoDB reads as needed (a filter
 * may drop items from a read). `next` is the key of the last returned item when more may follow,
 * so a cursor never skips an item that a read returned but the page had no room for. As with any
 * DynamoDB pagination, a full page may carry a cursor whose next page is empty.
 * @throws ServiceError `store_unavailable`
 */
async function listConnections(
  client: DynamoDBClient,
  tableName: string,
  request: ConnectionPageRequest,
  startAfter: PageKey | undefined,
): Promise<{ items: StoredConnection[]; next: PageKey | null }> {
  const items: StoredConnection[] = [];
  let start: Record<string, AttributeValue> | undefined =
    startAfter === undefined ? undefined : keyAttributes(startAfter);
  for (let read = 0; read < MAX_READS_PER_PAGE; read++) {
    const remaining = request.limit - items.length;
    const out = await readConnections(client, tableName, request, remaining, start);
    const found = (out.Items ?? []).map(decodeConnection);
    if (found.length >= remaining) {
      const taken = found.slice(0, remaining);
      items.push(...taken);
      const last = taken.at(-1);
      const more = found.length > remaining || out.LastEvaluatedKey !== undefined;
      return { items, next: more && last !== undefined ? keyOfConnection(last) : null };
    }
    items.push(...found);
    if (out.LastEvaluatedKey === undefined) return { items, next: null };
    start = out.LastEvaluatedKey;
  }
  return { items, next: start === undefined ? null : pageKeyOf(start) };
}

interface ReadOutput {
  readonly Items?: Record<string, AttributeValue>[] | undefined;
  readonly LastEvaluatedKey?: Record<string, AttributeValue> | undefined;
}

function readConnections(
  client: DynamoDBClient,
  tableName: string,
  request: ConnectionPageRequest,
  remaining: number,
  start: Record<string, AttributeValue> | undefined,
): Promise<ReadOutput> {
  const x = new ExpressionBuilder();
  const pk = x.name('pk');
  const sk = x.name('sk');
  const connections = `begins_with(${sk}, ${x.value(s('C#'))})`;
  const filters = [
    request.status === undefined ? undefined : `${x.name(A.status)} = ${x.value(s(request.status))}`,
    request.reauthDueBefore === undefined
      ? undefined
      : `${x.name(A.reauthDueAt)} < ${x.value(n(Math.floor(request.reauthDueBefore)))}`,
  ].filter((f) => f !== undefined);
  const statusFilter = filters.length === 0 ? undefined : filters.join(' AND ');
  const base = {
    TableName: tableName,
    ...(start === undefined ? {} : { ExclusiveStartKey: start }),
  };
  if (request.integrationId !== undefined) {
    // The integration's partition, connections only (the key condition skips the integration item).
    const keyCondition = `${pk} = ${x.value(s(integrationPk(request.integrationId)))} AND ${connections}`;
    return storeCall('Query', () =>
      client.send(
        new QueryCommand({
          ...base,
          KeyConditionExpression: keyCondition,
          ...(statusFilter === undefined ? {} : { FilterExpression: statusFilter }),
          Limit: statusFilter === undefined ? remaining : Math.max(remaining, FILTERED_READ_SIZE),
          ...x.attributes(),
        }),
      ),
    );
  }
  // The whole table: integrations, API keys and sessions live beside connections, so filter to them.
  const filter = [`begins_with(${pk}, ${x.value(s('I#'))})`, connections, statusFilter]
    .filter((part) => part !== undefined)
    .join(' AND ');
  return storeCall('Scan', () =>
    client.send(
      new ScanCommand({
        ...base,
        FilterExpression: filter,
        Limit: Math.max(remaining, FILTERED_READ_SIZE),
        ...x.attributes(),
      }),
    ),
  );
}

function keyAttributes(key: PageKey): Record<string, AttributeValue> {
  return { pk: s(key.pk), sk: s(key.sk) };
}

function keyOfConnection(c: StoredConnection): PageKey {
  return { pk: integrationPk(c.integrationId), sk: connectionSk(c.connectionId) };
}

function pageKeyOf(attributes: Record<string, AttributeValue>): PageKey | null {
  const pk = attributes.pk?.S;
  const sk = attributes.sk?.S;
  return pk === undefined || sk === undefined ? null : { pk, sk };
}

/** The admin listings on the service table; cursors are sealed, opaque to callers (./cursor.ts). */
export class DynamoConnectionListing implements ConnectionListing {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** Seals the cursors (./cursor.ts). */
    private readonly keyring: Keyring,
  ) {}

  async page(request: ConnectionPageRequest): Promise<ConnectionPage> {
    const startAfter =
      request.cursor === undefined
        ? undefined
        : await openCursor(this.keyring, request.cursor, request.integrationId);
    const page = await listConnections(this.client, this.tableName, request, startAfter);
    return {
      items: page.items,
      next: page.next === null ? null : await sealCursor(this.keyring, page.next, request.integrationId),
    };
  }
}
