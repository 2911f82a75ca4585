import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import {
  type ApiKeyRecord,
  BOOTSTRAP_ADMIN_ID,
  type CreateKeyInput,
  createKeyInputSchema,
} from '../../../domain/api-keys';
import type { Principal } from '../../../domain/principal';
import { NotFoundError, ServiceError } from '../../../errors';
import type { ApiKeyStore } from '../../../ports/api-keys';
import type { Clock } from '../../../ports/clock';
import { s } from './expression';
import { storeCall, storeError } from './sdk-errors';

/** Partition of the API keys in the service table; `sk` is the key's hex SHA-256 digest. */
export const API_KEYS_PK = 'KEYS';
/** How long a process reuses a key lookup, and so how long a revoked key may still work elsewhere. */
export const DEFAULT_KEY_CACHE_TTL_MS = 30_000;
/**
 * Where the bootstrap admin key's bookkeeping (first seen, last used) lives: its own partition, so a
 * lookup by digest in {@link API_KEYS_PK} can never find it and treat it as a key.
 */
export const BOOTSTRAP_KEYS_PK = 'KEYS#BOOTSTRAP';
/**
 * `last_used_at` is written at most once per this long per key (a conditional write that only
 * moves it forward), so tracking costs no write on the token path's steady state.
 */
export const LAST_USED_RESOLUTION_MS = 15 * 60 * 1000;

export interface ApiKeyStoreOptions {
  /** Hex SHA-256 of a bootstrap admin key (config `adminApiKeySha256`). */
  readonly bootstrapAdminSha256?: string | undefined;
  /**
   * How long a lookup (found or not) is reused by this process. A revoked key keeps working on
   * other warm processes for up to this long: the price of one DynamoDB read per cold key instead of
   * one per request on the token path. @default 30_000
   */
  readonly cacheTtlMs?: number;
  /** Entries kept at most, so a flood of random keys cannot grow memory without bound. @default 1000 */
  readonly cacheMaxEntries?: number;
  /** The constant-time digest comparison; injectable so tests can see every key go through it. */
  readonly compare?: (a: Buffer, b: Buffer) => boolean;
}

/** A key has exactly one of the two scope sets api.md defines. */

const itemSchema = z.object({
  sk: z.string(),
  key_id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(['admin', 'tokens:read'])),
  prefix: z.string(),
  created_at: z.string(),
  revoked_at: z.string().optional(),
  last_used_at: z.string().optional(),
});
type KeyItem = z.output<typeof itemSchema>;

/** What authentication compares against when there is nothing to compare: any key fails against it. */
const NO_DIGEST = Buffer.alloc(32);

interface CacheEntry {
  readonly until: number;
  readonly stored: Buffer | undefined;
  readonly principal: Principal | null;
  /** Epoch ms of the stored `last_used_at` as this process last saw or wrote it. */
  lastUsed: number;
}

/** The digest stored and compared (api.md: keys are kept only as SHA-256 digests). */
export function apiKeySha256(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * API keys in the service table (`pk = KEYS`, `sk = <hex sha256>`). The key itself is returned once,
 * by {@link DynamoApiKeyStore.create}, and stored nowhere.
 */
export class DynamoApiKeyStore implements ApiKeyStore {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly bootstrap: Buffer | undefined;
  private readonly compare: (a: Buffer, b: Buffer) => boolean;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  /** Epoch ms this process last saw or wrote the bootstrap key's `last_used_at`. */
  private bootstrapLastUsed = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock,
    options: ApiKeyStoreOptions = {},
  ) {
    const hex = options.bootstrapAdminSha256;
    if (hex !== undefined && !/^[0-9a-fA-F]{64}$/.test(hex))
      throw new ServiceError('config_invalid', 'the bootstrap admin key digest must be 64 hex characters');
    this.bootstrap = hex === undefined ? undefined : Buffer.from(hex, 'hex');
    this.compare = options.compare ?? timingSafeEqual;
    this.ttlMs = options.cacheTtlMs ?? DEFAULT_KEY_CACHE_TTL_MS;
    this.maxEntries = options.cacheMaxEntries ?? 1000;
  }

  /**
   * Creates a key: `ork_` + 32 random bytes (base64url). The result is the only time the key exists
   * outside the caller's hands.
   * @throws ServiceError `config_invalid` for a bad name or scope set; `store_unavailable`.
   */
  async create(input: CreateKeyInput): Promise<{ key: string; record: ApiKeyRecord }> {
    const parsed = createKeyInputSchema.safeParse(input);
    if (!parsed.success)
      throw new ServiceError(
        'config_invalid',
        `invalid key: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
      );
    const key = `ork_${randomBytes(32).toString('base64url')}`;
    const digest = apiKeySha256(key).toString('hex');
    const record: ApiKeyRecord = {
      key_id: `key_${randomBytes(6).toString('hex')}`,
      name: parsed.data.name,
      scopes: parsed.data.scopes,
      prefix: key.slice(0, 8),
      created_at: new Date(this.clock.now()).toISOString(),
    };
    await storeCall('PutItem', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: marshall({ pk: API_KEYS_PK, sk: digest, ...record }),
          // 256 random bits never collide; the condition only makes "never overwrite a key" explicit.
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    this.cache.delete(digest);
    return { key, record };
  }

  /**
   * Every key, oldest first: the configured admin key (when there is one) and every created key,
   * revoked ones included unless `activeOnly`. @throws ServiceError `store_unavailable`.
   */
  async list(options: { readonly activeOnly?: boolean } = {}): Promise<ApiKeyRecord[]> {
    const items = await this.items();
    const records = items
      .filter((i) => !(options.activeOnly === true && i.revoked_at !== undefined))
      .map(toRecord);
    const bootstrap = await this.bootstrapRecord();
    return [...(bootstrap === null ? [] : [bootstrap]), ...records].sort((a, b) =>
      a.created_at.localeCompare(b.created_at),
    );
  }

  /** One key by id (the bootstrap key as {@link BOOTSTRAP_ADMIN_ID}), or null. */
  async find(keyId: string): Promise<ApiKeyRecord | null> {
    return (await this.list()).find((r) => r.key_id === keyId) ?? null;
  }

  /**
   * The configured admin key as listed. It is known only by its digest, so its bookkeeping item
   * records when the service first saw it (written here or at its first use).
   */
  private async bootstrapRecord(): Promise<ApiKeyRecord | null> {
    if (this.bootstrap === undefined) return null;
    const hex = this.bootstrap.toString('hex');
    const now = new Date(this.clock.now()).toISOString();
    const read = () =>
      storeCall('GetItem', () =>
        this.client.send(
          new GetItemCommand({
            TableName: this.tableName,
            Key: { pk: s(BOOTSTRAP_KEYS_PK), sk: s(hex) },
            ConsistentRead: true,
          }),
        ),
      );
    let out = await read();
    if (out.Item === undefined) {
      // Never used nor listed yet: remember when the service first saw it.
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: marshall({ pk: BOOTSTRAP_KEYS_PK, sk: hex, created_at: now }),
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw storeError('PutItem', error);
      }
      out = await read();
    }
    const item = bootstrapItemSchema.parse(unmarshall(out.Item ?? {}));
    return {
      key_id: BOOTSTRAP_ADMIN_ID,
      name: 'admin (configured)',
      scopes: ['admin'],
      prefix: '',
      created_at: item.created_at ?? now,
      ...(item.last_used_at === undefined ? {} : { last_used_at: item.last_used_at }),
      bootstrap: true,
    };
  }

  /**
   * Revokes a key by its id (idempotent: a second revoke keeps the first `revoked_at`). This process
   * refuses it at once; other warm processes within `cacheTtlMs`.
   * @throws NotFoundError when no key has this id; ServiceError `store_unavailable`.
   */
  async revoke(keyId: string): Promise<ApiKeyRecord> {
    const item = (await this.items()).find((i) => i.key_id === keyId);
    if (item === undefined) throw new NotFoundError(`API key ${keyId}`);
    const out = await storeCall('UpdateItem', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: s(API_KEYS_PK), sk: s(item.sk) },
          UpdateExpression: 'SET revoked_at = if_not_exists(revoked_at, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': s(new Date(this.clock.now()).toISOString()) },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    this.cache.delete(item.sk);
    return toRecord(decode(out.Attributes ?? {}));
  }

  /**
   * The principal of a presented key, or null (unknown, revoked). Every key, whatever its length or
   * value, is hashed to 32 bytes and goes through the same steps: a constant-time comparison with
   * the bootstrap digest, one lookup by digest (cached), a constant-time comparison with what the
   * lookup found (or with an all-zero digest when it found nothing). reliability.md promise 15.
   * @throws ServiceError `store_unavailable` when DynamoDB cannot be read (the router answers 503).
   */
  async authenticate(presented: string): Promise<Principal | null> {
    const digest = apiKeySha256(presented);
    const now = this.clock.now();
    if (this.compare(this.bootstrap ?? NO_DIGEST, digest) && this.bootstrap !== undefined) {
      if (now - this.bootstrapLastUsed >= LAST_USED_RESOLUTION_MS) {
        this.bootstrapLastUsed = now;
        await this.touch(BOOTSTRAP_KEYS_PK, digest.toString('hex'), now, true);
      }
      return { kind: 'api_key', id: BOOTSTRAP_ADMIN_ID, scopes: ['admin'] };
    }
    const hex = digest.toString('hex');
    let entry = this.cache.get(hex);
    if (entry === undefined || entry.until <= now) {
      entry = await this.lookup(hex, now);
      this.remember(hex, entry);
    }
    // The lookup was by digest, so a found item matches; comparing anyway keeps one code path for
    // found and not-found keys, and guards against a lookup that ever returned the wrong item.
    const same = this.compare(entry.stored ?? NO_DIGEST, digest);
    const principal = same && entry.stored !== undefined ? entry.principal : null;
    if (principal !== null && now - entry.lastUsed >= LAST_USED_RESOLUTION_MS) {
      entry.lastUsed = now;
      await this.touch(API_KEYS_PK, hex, now, false);
    }
    return principal;
  }

  /**
   * Moves `last_used_at` forward (one conditional write, skipped when another process wrote it
   * within the resolution). Best effort: a failure never fails the request that used the key.
   */
  private async touch(pk: string, hex: string, now: number, bootstrap: boolean): Promise<void> {
    const at = new Date(now).toISOString();
    const cutoff = new Date(now - LAST_USED_RESOLUTION_MS).toISOString();
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: s(pk), sk: s(hex) },
          UpdateExpression: bootstrap
            ? 'SET last_used_at = :now, created_at = if_not_exists(created_at, :now)'
            : 'SET last_used_at = :now',
          // A created key's item must exist (no stub for a key deleted meanwhile).
          ConditionExpression: `${bootstrap ? '' : 'attribute_exists(pk) AND '}(attribute_not_exists(last_used_at) OR last_used_at <= :cutoff)`,
          ExpressionAttributeValues: { ':now': s(at), ':cutoff': s(cutoff) },
        }),
      );
    } catch {
      // Not recorded this time: conditional failure (recent enough) or the store is unavailable.
    }
  }

  private async lookup(hex: string, now: number): Promise<CacheEntry> {
    const out = await storeCall('GetItem', () =>
      this.client.send(
        // Consistent: a key used right after `create` must not be cached as unknown.
        new GetItemCommand({
          TableName: this.tableName,
          Key: { pk: s(API_KEYS_PK), sk: s(hex) },
          ConsistentRead: true,
        }),
      ),
    );
    const until = now + this.ttlMs;
    const none = { until, stored: undefined, principal: null, lastUsed: Number.POSITIVE_INFINITY };
    if (out.Item === undefined) return none;
    const item = decode(out.Item);
    const stored = Buffer.from(item.sk, 'hex');
    if (stored.length !== 32) return none;
    const principal: Principal | null =
      item.revoked_at === undefined ? { kind: 'api_key', id: item.key_id, scopes: item.scopes } : null;
    const lastUsed =
      item.last_used_at === undefined ? Number.NEGATIVE_INFINITY : Date.parse(item.last_used_at);
    return {
      until,
      stored,
      principal,
      lastUsed: Number.isNaN(lastUsed) ? Number.NEGATIVE_INFINITY : lastUsed,
    };
  }

  private remember(hex: string, entry: CacheEntry): void {
    this.cache.delete(hex);
    this.cache.set(hex, entry);
    // Map iteration is insertion order: the first entry is the least recently stored.
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }

  private async items(): Promise<KeyItem[]> {
    const items: KeyItem[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await storeCall('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': s(API_KEYS_PK) },
            ConsistentRead: true,
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
          }),
        ),
      );
      for (const item of out.Items ?? []) items.push(decode(item));
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}

const bootstrapItemSchema = z.object({
  created_at: z.string().optional(),
  last_used_at: z.string().optional(),
});

function decode(item: Record<string, AttributeValue>): KeyItem {
  return itemSchema.parse(unmarshall(item));
}

function toRecord(item: KeyItem): ApiKeyRecord {
  const { sk: _digest, revoked_at, last_used_at, ...rest } = item;
  return {
    ...rest,
    ...(revoked_at === undefined ? {} : { revoked_at }),
    ...(last_used_at === undefined ? {} : { last_used_at }),
  };
}
