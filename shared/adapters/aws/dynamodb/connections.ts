import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { ConnectionKey } from '../../../domain/ids';
import { connectionKeyString } from '../../../domain/ids';
import { LeaseHeldError, NotFoundError, ServiceError, StaleFenceError } from '../../../errors';
import { DEFAULT_DUE_SHARDS } from '../../../policy/schedule';
import type {
  ConnectionPatch,
  ConnectionStore,
  Fence,
  NewConnection,
  StoredConnection,
} from '../../../ports/store';
import { A, decodeConnection, MAX_STORED_TIME_MS } from './codec';
import { b, ExpressionBuilder, jsonMap, n, s } from './expression';
import { storeCall } from './sdk-errors';
import { connectionSk, dueShardOf, integrationPk } from './table';

export interface DynamoConnectionStoreOptions {
  readonly tableName: string;
  readonly dueShards?: number;
  /** Called with each command's consumed capacity (benchmarks and cost tests). */
  readonly onConsumedCapacity?: (operation: string, capacityUnits: number) => void;
}

/**
 * {@link ConnectionStore} on DynamoDB. Every mutation is one conditional UpdateItem; SDK errors are
 * translated here (ConditionalCheckFailed → LeaseHeld / StaleFence / NotFound, anything else →
 * `store_unavailable` with the SDK error as cause).
 */
export class DynamoConnectionStore implements ConnectionStore {
  private readonly shards: number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: DynamoConnectionStoreOptions,
  ) {
    this.shards = options.dueShards ?? DEFAULT_DUE_SHARDS;
  }

  async get(key: ConnectionKey): Promise<StoredConnection | null> {
    const out = await storeCall('GetItem', () =>
      this.client.send(
        new GetItemCommand({
          TableName: this.options.tableName,
          Key: this.keyOf(key),
          ConsistentRead: true,
          ReturnConsumedCapacity: this.capacityMode(),
        }),
      ),
    );
    this.record('GetItem', out.ConsumedCapacity?.CapacityUnits);
    return out.Item === undefined ? null : decodeConnection(out.Item);
  }

  async acquireLease(
    key: ConnectionKey,
    lease: { owner: string; now: number; leaseMs: number },
  ): Promise<StoredConnection> {
    const x = new ExpressionBuilder();
    const until = x.name(A.leaseUntil);
    const update = `SET ${until} = ${x.value(n(lease.now + lease.leaseMs))}, ${x.name(A.leaseOwner)} = ${x.value(s(lease.owner))}, ${x.name(A.version)} = ${x.name(A.version)} + ${x.value(n(1))}`;
    const condition = `attribute_exists(${x.name('pk')}) AND (attribute_not_exists(${until}) OR ${until} < ${x.value(n(lease.now))})`;
    try {
      return await this.update('Lease', key, update, condition, x);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const current = await this.get(key);
      if (current === null) throw new NotFoundError(`connection ${connectionKeyString(key)}`);
      throw new LeaseHeldError(connectionKeyString(key), current.leaseUntil ?? undefined);
    }
  }

  async releaseLease(key: ConnectionKey, fence: Fence): Promise<void> {
    const x = new ExpressionBuilder();
    const update = `REMOVE ${x.name(A.leaseUntil)}, ${x.name(A.leaseOwner)}`;
    const condition = fenceCondition(x, fence);
    try {
      await this.update('Release', key, update, condition, x);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Someone took over after our lease expired; the lease is theirs now.
    }
  }

  async commit(
    key: ConnectionKey,
    fence: Fence,
    patch: ConnectionPatch,
    now: number,
  ): Promise<StoredConnection> {
    const x = new ExpressionBuilder();
    const { set, remove } = this.patchClauses(x, key, patch, now);
    set.push(`${x.name(A.version)} = ${x.name(A.version)} + ${x.value(n(1))}`);
    remove.push(x.name(A.leaseUntil), x.name(A.leaseOwner));
    const condition = fenceCondition(x, fence);
    try {
      return await this.update('Commit', key, clauses(set, remove), condition, x);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new StaleFenceError(connectionKeyString(key), fence.version);
      throw error;
    }
  }

  async put(
    key: ConnectionKey,
    expected: Fence | null,
    value: NewConnection,
    now: number,
  ): Promise<StoredConnection> {
    const x = new ExpressionBuilder();
    const { set, remove } = this.patchClauses(x, key, value, now);
    const version = x.name(A.version);
    set.push(
      `${x.name(A.provider)} = ${x.value(s(value.provider))}`,
      `${version} = if_not_exists(${version}, ${x.value(n(0))}) + ${x.value(n(1))}`,
      `${x.name(A.createdAt)} = if_not_exists(${x.name(A.createdAt)}, ${x.value(n(now))})`,
    );
    if (expected === null) {
      // A new life of this connection: fences of any earlier one can never match again.
      set.push(`${x.name(A.incarnation)} = ${x.value(s(randomBytes(12).toString('base64url')))}`);
    }
    remove.push(x.name(A.leaseUntil), x.name(A.leaseOwner));
    const condition =
      expected === null ? `attribute_not_exists(${x.name('pk')})` : fenceCondition(x, expected);
    try {
      return await this.update('Put', key, clauses(set, remove), condition, x);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new StaleFenceError(connectionKeyString(key), expected?.version ?? 0);
      throw error;
    }
  }

  async retryNow(key: ConnectionKey, expected: Fence, now: number): Promise<StoredConnection> {
    const x = new ExpressionBuilder();
    const set = [
      `${x.name(A.status)} = ${x.value(s('failing'))}`,
      `${x.name(A.nextRefreshAt)} = ${x.value(n(now))}`,
      `${x.name(A.dueAt)} = ${x.value(n(now))}`,
      `${x.name(A.dueShard)} = ${x.value(n(dueShardOf(key, this.shards)))}`,
      `${x.name(A.failingSince)} = ${x.value(n(now))}`,
      `${x.name(A.updatedAt)} = ${x.value(n(now))}`,
      `${x.name(A.version)} = ${x.name(A.version)} + ${x.value(n(1))}`,
    ];
    const until = x.name(A.leaseUntil);
    const condition = `${fenceCondition(x, expected)} AND (attribute_not_exists(${until}) OR ${until} < ${x.value(n(now))})`;
    try {
      return await this.update('Retry', key, clauses(set, [x.name(A.retryAfterUntil)]), condition, x);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new StaleFenceError(connectionKeyString(key), expected.version);
      throw error;
    }
  }

  async removeOutboxEvents(key: ConnectionKey, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const current = await this.get(key);
    if (current === null) return;
    const indexes = current.outbox.flatMap((event, index) => (ids.includes(event.id) ? [index] : []));
    if (indexes.length === 0) return;
    const x = new ExpressionBuilder();
    const outbox = x.name(A.outbox);
    const id = x.name('id');
    // Highest index first: DynamoDB removes list elements as one change, but an emulator that
    // applies them one after another (dynalite) would shift the later ones and leave events behind.
    const remove = [...indexes].sort((a, b) => b - a).map((i) => `${outbox}[${i}]`);
    // Emptied: out of the outbox index too — only if nothing was appended since we read it.
    const emptied = indexes.length === current.outbox.length;
    if (emptied) remove.push(x.name(A.outboxShard), x.name(A.outboxAt));
    // Only remove what is still where we saw it; a concurrent publisher may have moved things.
    const condition = indexes
      .map((i) => `${outbox}[${i}].${id} = ${x.value(s(current.outbox[i]?.id ?? ''))}`)
      .join(' AND ')
      .concat(emptied ? ` AND size(${outbox}) = ${x.value(n(current.outbox.length))}` : '');
    try {
      await this.update('Outbox', key, `REMOVE ${remove.join(', ')}`, condition, x);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Left for the next republish; receivers de-duplicate by webhook-id.
    }
  }

  async delete(key: ConnectionKey): Promise<void> {
    await storeCall('DeleteItem', () =>
      this.client.send(new DeleteItemCommand({ TableName: this.options.tableName, Key: this.keyOf(key) })),
    );
  }

  private patchClauses(
    x: ExpressionBuilder,
    key: ConnectionKey,
    patch: ConnectionPatch,
    now: number,
  ): { set: string[]; remove: string[] } {
    const set: string[] = [];
    const remove: string[] = [];
    const put = (attr: string, v: AttributeValue) => set.push(`${x.name(attr)} = ${x.value(v)}`);
    const putOrRemove = (attr: string, v: AttributeValue | null | undefined) => {
      if (v === undefined) return;
      if (v === null) remove.push(x.name(attr));
      else put(attr, v);
    };
    // Every stored time is clamped to what a JS number and `Date` hold exactly (the policy clamps
    // provider times long before this; this is the last line, so no item becomes unreadable).
    const time = (v: number) => n(Math.min(Math.max(0, Math.round(v)), MAX_STORED_TIME_MS));
    const num = (v: number | null | undefined) => (v === undefined ? undefined : v === null ? null : time(v));
    const str = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : s(v));

    put(A.status, s(patch.status));
    if (patch.commitId !== undefined) put(A.commitId, s(patch.commitId));
    if (patch.hasRefreshToken !== undefined) put(A.hasRefreshToken, { BOOL: patch.hasRefreshToken });
    putOrRemove(A.retryAfterUntil, num(patch.retryAfterUntil));
    if (patch.secretsCiphertext !== undefined) {
      put(A.secrets, b(patch.secretsCiphertext));
      const gen = x.name(A.credentialGeneration);
      set.push(`${gen} = if_not_exists(${gen}, ${x.value(n(0))}) + ${x.value(n(1))}`);
    }
    putOrRemove(A.tokenType, str(patch.tokenType));
    putOrRemove(A.scope, str(patch.scope));
    putOrRemove(A.expiresAt, num(patch.accessTokenExpiresAt));
    putOrRemove(A.lifetime, num(patch.lastLifetimeSeconds));
    putOrRemove(A.lastRefreshAt, num(patch.lastRefreshAt));
    if (patch.nextRefreshAt === null) {
      remove.push(x.name(A.nextRefreshAt), x.name(A.dueAt), x.name(A.dueShard));
    } else {
      put(A.nextRefreshAt, time(patch.nextRefreshAt));
      put(A.dueAt, time(patch.nextRefreshAt));
      put(A.dueShard, n(dueShardOf(key, this.shards)));
    }
    put(A.failures, n(Math.min(patch.consecutiveFailures, 1_000_000)));
    putOrRemove(A.failingSince, num(patch.failingSince));
    putOrRemove(A.lastError, patch.lastError === null ? null : { M: marshall(patch.lastError) });
    if (patch.metadata !== undefined) put(A.metadata, { M: jsonMap(patch.metadata) });
    putOrRemove(A.accountId, str(patch.accountId));
    putOrRemove(A.refreshTokenExpiresAt, num(patch.refreshTokenExpiresAt));
    putOrRemove(A.reauthDueAt, num(patch.reauthDueAt));
    putOrRemove(A.authorizedAt, num(patch.authorizedAt));
    if (patch.reauthWarned === true) put(A.reauthWarned, { BOOL: true });
    else if (patch.reauthWarned === false) remove.push(x.name(A.reauthWarned));
    putOrRemove(A.attemptRing, str(patch.attemptRing));
    if (patch.events.length > 0) {
      const outbox = x.name(A.outbox);
      const events = x.value({
        L: patch.events.map((e) => ({ M: marshall(e, { removeUndefinedValues: true }) })),
      });
      set.push(`${outbox} = list_append(if_not_exists(${outbox}, ${x.value({ L: [] })}), ${events})`);
      // Into the outbox index, keeping the time of the oldest unpublished event.
      const outboxAt = x.name(A.outboxAt);
      set.push(`${outboxAt} = if_not_exists(${outboxAt}, ${x.value(n(now))})`);
      put(A.outboxShard, n(dueShardOf(key, this.shards)));
    }
    put(A.updatedAt, n(now));
    return { set, remove };
  }

  private async update(
    operation: string,
    key: ConnectionKey,
    updateExpression: string,
    condition: string,
    x: ExpressionBuilder,
  ): Promise<StoredConnection> {
    const out = await storeCall(
      operation,
      () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.options.tableName,
            Key: this.keyOf(key),
            UpdateExpression: updateExpression,
            ConditionExpression: condition,
            ...x.attributes(),
            ReturnValues: 'ALL_NEW',
            ReturnConsumedCapacity: this.capacityMode(),
          }),
        ),
      { passConditional: true },
    );
    this.record(operation, out.ConsumedCapacity?.CapacityUnits);
    if (out.Attributes === undefined)
      throw new ServiceError('store_unavailable', `${operation} returned no item`);
    return decodeConnection(out.Attributes);
  }

  private keyOf(key: ConnectionKey): Record<string, AttributeValue> {
    return { pk: s(integrationPk(key.integrationId)), sk: s(connectionSk(key.connectionId)) };
  }

  private capacityMode(): 'TOTAL' | 'NONE' {
    return this.options.onConsumedCapacity === undefined ? 'NONE' : 'TOTAL';
  }

  private record(operation: string, units: number | undefined): void {
    if (units !== undefined) this.options.onConsumedCapacity?.(operation, units);
  }
}

/** `version = fence` and the same incarnation (absent on items written before incarnations). */
function fenceCondition(x: ExpressionBuilder, fence: Fence): string {
  const version = `${x.name(A.version)} = ${x.value(n(fence.version))}`;
  const inc = x.name(A.incarnation);
  return fence.incarnation === null
    ? `${version} AND attribute_not_exists(${inc})`
    : `${version} AND ${inc} = ${x.value(s(fence.incarnation))}`;
}

function clauses(set: readonly string[], remove: readonly string[]): string {
  return [
    set.length > 0 ? `SET ${set.join(', ')}` : '',
    remove.length > 0 ? `REMOVE ${remove.join(', ')}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
}
