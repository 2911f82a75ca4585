import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Attempt } from '../../../domain/attempt';
import type { OutboxEvent } from '../../../domain/events';
import type { ConnectionKey } from '../../../domain/ids';
import type { LastError } from '../../../domain/refresh-failure';
import { encodeAttempts } from '../../../history/ring';
import {
  DEFAULT_HISTORY_RETENTION_MS,
  type Delivery,
  type HistoryItem,
  type HistoryReader,
  type HistoryRecorder,
} from '../../../ports/history';
import { ExpressionBuilder, n, s } from './expression';
import { storeCall } from './sdk-errors';
import { TTL_ATTRIBUTE } from './table';

/**
 * History items (api.md v1.1 `GET .../history`), each in the connection's own history partition
 * (`pk = H#<integration>#<connection>`; ids never contain `#`), sorted by time:
 *
 * | sk                        | what                                                     |
 * |---------------------------|----------------------------------------------------------|
 * | `<ms, 15 digits>#A`       | attempts that left the ring (`e`, ring format), at the oldest one's time |
 * | `<ms>#F`                  | a failed attempt in full (`err` as `last_error`)          |
 * | `<ms>#T#<event id>`       | an event (`ty`, `fr`, `to`, `dl` delivery), at the event's timestamp |
 * | `<ms>#G`                  | new credentials (`g`: `import` / `reconnect`)             |
 * | `<day start ms>#R`        | token reads of a UTC day (`n`, added to), `day`           |
 *
 * Per integration, `pk = HS#<integration>`, `sk = F#<hour start ms>` counts failures by code
 * (`c_<code>`) for the health route (outside the integration's partition, which holds its
 * connections only). Every item carries `ttl` (retention; DynamoDB TTL deletes it).
 */
export const historyPk = (key: ConnectionKey): string => `H#${key.integrationId}#${key.connectionId}`;
export const FAILURE_COUNTS_PREFIX = 'F#';
const statsPk = (integrationId: string): string => `HS#${integrationId}`;
const pad = (ms: number): string => String(Math.max(0, Math.floor(ms))).padStart(15, '0');
const HOUR_MS = 3_600_000;

export interface DynamoHistoryStoreOptions {
  readonly tableName: string;
  /** How long history is kept (DynamoDB TTL). @default 30 days */
  readonly retentionMs?: number;
  /** Called with each command's consumed capacity (benchmarks). */
  readonly onConsumedCapacity?: (operation: string, capacityUnits: number) => void;
}

export class DynamoHistoryStore implements HistoryRecorder, HistoryReader {
  readonly retentionMs: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoHistoryStoreOptions,
  ) {
    this.retentionMs = options.retentionMs ?? DEFAULT_HISTORY_RETENTION_MS;
  }

  async attempts(key: ConnectionKey, attempts: readonly Attempt[]): Promise<void> {
    const first = attempts[0];
    const last = attempts.at(-1);
    if (first === undefined || last === undefined) return;
    await this.set(historyPk(key), `${pad(first.at)}#A`, last.at, {
      k: 'A',
      at: first.at,
      e: encodeAttempts(attempts),
    });
  }

  async failure(key: ConnectionKey, attempt: Attempt, error: LastError): Promise<void> {
    await this.set(historyPk(key), `${pad(attempt.at)}#F`, attempt.at, {
      k: 'F',
      at: attempt.at,
      tr: attempt.trigger,
      ms: attempt.durationMs,
      err: error,
    });
    const hour = Math.floor(attempt.at / HOUR_MS) * HOUR_MS;
    const x = new ExpressionBuilder();
    await this.update(
      statsPk(key.integrationId),
      `${FAILURE_COUNTS_PREFIX}${pad(hour)}`,
      `ADD ${x.name(`c_${error.code}`)} ${x.value(n(1))} SET ${x.name(TTL_ATTRIBUTE)} = ${x.value(n(ttlSeconds(hour + 2 * 86_400_000)))}`,
      x,
    );
  }

  async events(key: ConnectionKey, events: readonly OutboxEvent[]): Promise<void> {
    for (const event of events) {
      const at = eventTime(event);
      const x = new ExpressionBuilder();
      const values: Record<string, AttributeValue> = {
        k: s('T'),
        at: n(at),
        ty: s(event.body.type),
        to: s(event.body.data.status),
        ...(event.from === undefined ? {} : { fr: s(event.from) }),
        ...(event.body.data.error === null ? {} : { err: { M: marshall(event.body.data.error) } }),
        [TTL_ATTRIBUTE]: n(ttlSeconds(at + this.retentionMs)),
      };
      const set = Object.entries(values).map(([name, v]) => `${x.name(name)} = ${x.value(v)}`);
      // The sender may have recorded the delivery first: never overwrite it with `pending`.
      set.push(`${x.name('dl')} = if_not_exists(${x.name('dl')}, ${x.value(s('pending'))})`);
      await this.update(historyPk(key), eventSk(event), `SET ${set.join(', ')}`, x);
    }
  }

  async delivery(event: OutboxEvent, delivery: Delivery): Promise<void> {
    const x = new ExpressionBuilder();
    const ttl = x.name(TTL_ATTRIBUTE);
    await this.update(
      historyPk(keyOfEvent(event)),
      eventSk(event),
      `SET ${x.name('dl')} = ${x.value(s(delivery))}, ${ttl} = if_not_exists(${ttl}, ${x.value(n(ttlSeconds(eventTime(event) + this.retentionMs)))})`,
      x,
    );
  }

  async grant(
    key: ConnectionKey,
    kind: 'import' | 'reconnect',
    at: number,
    newGrant: boolean,
  ): Promise<void> {
    await this.set(historyPk(key), `${pad(at)}#G`, at, { k: 'G', at, g: kind, ng: newGrant });
  }

  async tokenReads(key: ConnectionKey, day: string, count: number): Promise<void> {
    const start = Date.parse(`${day}T00:00:00Z`);
    if (!Number.isFinite(start) || count <= 0) return;
    const x = new ExpressionBuilder();
    await this.update(
      historyPk(key),
      `${pad(start)}#R`,
      `ADD ${x.name('n')} ${x.value(n(count))} SET ${x.name('k')} = ${x.value(s('R'))}, ${x.name('at')} = ${x.value(n(start))}, ${x.name('day')} = ${x.value(s(day))}, ${x.name(TTL_ATTRIBUTE)} = ${x.value(n(ttlSeconds(start + 86_400_000 + this.retentionMs)))}`,
      x,
    );
  }

  /**
   * History items newest first, with sort keys before `beforeSk` (all when undefined).
   * @throws ServiceError `store_unavailable`
   */
  async page(
    key: ConnectionKey,
    limit: number,
    beforeSk: string | undefined,
  ): Promise<{ items: HistoryItem[]; more: boolean }> {
    const x = new ExpressionBuilder();
    const condition =
      beforeSk === undefined
        ? `${x.name('pk')} = ${x.value(s(historyPk(key)))}`
        : `${x.name('pk')} = ${x.value(s(historyPk(key)))} AND ${x.name('sk')} < ${x.value(s(beforeSk))}`;
    const out = await storeCall('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: condition,
          ScanIndexForward: false,
          Limit: limit,
          ...x.attributes(),
        }),
      ),
    );
    const items = (out.Items ?? []).flatMap((item): HistoryItem[] => {
      const raw = unmarshall(item, { wrapNumbers: false }) as Record<string, unknown>;
      const sk = typeof raw.sk === 'string' ? raw.sk : '';
      const kind = sk.split('#')[1];
      const at = typeof raw.at === 'number' ? raw.at : Number(sk.slice(0, 15));
      if (kind !== 'A' && kind !== 'F' && kind !== 'T' && kind !== 'G' && kind !== 'R') return [];
      return [{ sk, kind, at, raw }];
    });
    return { items, more: out.LastEvaluatedKey !== undefined };
  }

  /**
   * Failures by code of an integration since `since` (hourly buckets, the one holding `since` included).
   * @throws ServiceError `store_unavailable`
   */
  async failureCounts(integrationId: string, since: number): Promise<Record<string, number>> {
    const x = new ExpressionBuilder();
    const from = `${FAILURE_COUNTS_PREFIX}${pad(Math.floor(since / HOUR_MS) * HOUR_MS)}`;
    const out = await storeCall('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.options.tableName,
          KeyConditionExpression: `${x.name('pk')} = ${x.value(s(statsPk(integrationId)))} AND ${x.name('sk')} BETWEEN ${x.value(s(from))} AND ${x.value(s(`${FAILURE_COUNTS_PREFIX}~`))}`,
          ...x.attributes(),
        }),
      ),
    );
    const counts: Record<string, number> = {};
    for (const item of out.Items ?? []) {
      for (const [name, value] of Object.entries(item)) {
        if (!name.startsWith('c_') || value.N === undefined) continue;
        const code = name.slice(2);
        counts[code] = (counts[code] ?? 0) + Number(value.N);
      }
    }
    return counts;
  }

  private async set(pk: string, sk: string, newest: number, values: Record<string, unknown>): Promise<void> {
    const x = new ExpressionBuilder();
    const attrs = {
      ...marshall(values, { removeUndefinedValues: true }),
      [TTL_ATTRIBUTE]: n(ttlSeconds(newest + this.retentionMs)),
    };
    const set = Object.entries(attrs).map(([name, v]) => `${x.name(name)} = ${x.value(v)}`);
    await this.update(pk, sk, `SET ${set.join(', ')}`, x);
  }

  private async update(pk: string, sk: string, expression: string, x: ExpressionBuilder): Promise<void> {
    const out = await storeCall('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: s(pk), sk: s(sk) },
          UpdateExpression: expression,
          ...x.attributes(),
          ...(this.options.onConsumedCapacity === undefined ? {} : { ReturnConsumedCapacity: 'TOTAL' }),
        }),
      ),
    );
    const units = out.ConsumedCapacity?.CapacityUnits;
    if (units !== undefined) this.options.onConsumedCapacity?.('History', units);
  }
}

function keyOfEvent(event: OutboxEvent): ConnectionKey {
  return { integrationId: event.body.data.integration_id, connectionId: event.body.data.connection_id };
}

function eventTime(event: OutboxEvent): number {
  const at = Date.parse(event.body.timestamp);
  return Number.isFinite(at) ? at : 0;
}

function eventSk(event: OutboxEvent): string {
  return `${pad(eventTime(event))}#T#${event.id}`;
}

function ttlSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
