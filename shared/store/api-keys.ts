import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { ApiKeyScope, Principal } from '../api/principal';
import { NotFoundError, ServiceError } from '../errors';
import type { Clock } from '../ports/clock';
import { s } from './expression';
import { storeCall } from './sdk-errors';

/** Partition of the API keys in the service table; `sk` is the key's hex SHA-256 digest. */
export const API_KEYS_PK = 'KEYS';
/** How long a process reuses a key lookup, and so how long a revoked key may still work elsewhere. */
export const DEFAULT_KEY_CACHE_TTL_MS = 30_000;
/** The principal id of the bootstrap admin key given as `ADMIN_API_KEY_SHA256`. */
export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';

/** An API key as listed: never the key, never its digest. */
export interface ApiKeyRecord {
  /** `key_<12 hex>`: what logs, the CLI and `revoke` use. */
  readonly key_id: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** The first 8 characters of the key (`ork_` + 4), so a human can tell keys apart. */
  readonly prefix: string;
  readonly created_at: string;
  readonly revoked_at?: string;
}

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
export const createKeyInputSchema = z.object({
  name: z.string().trim().min(1).max(100),
  scopes: z.union([z.tuple([z.literal('admin')]), z.tuple([z.literal('tokens:read')])]),
});
export type CreateKeyInput = z.input<typeof createKeyInputSchema>;

const itemSchema = z.object({
  sk: z.string(),
  key_id: z.string(),
  name: z.string(),
  scopes: z.array(z.enum(['admin', 'tokens:read'])),
  prefix: z.string(),
  created_at: z.string(),
  revoked_at: z.string().optional(),
});
type KeyItem = z.output<typeof itemSchema>;

/** What authentication compares against when there is nothing to compare: any key fails against it. */
const NO_DIGEST = Buffer.alloc(32);

interface CacheEntry {
  readonly until: number;
  readonly stored: Buffer | undefined;
  readonly principal: Principal | null;
}

/** The digest stored and compared (api.md: keys are kept only as SHA-256 digests). */
export function apiKeySha256(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * API keys in the service table (`pk = KEYS`, `sk = <hex sha256>`). The key itself is returned once,
 * by {@link DynamoApiKeyStore.create}, and stored nowhere.
 */
export class DynamoApiKeyStore {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly bootstrap: Buffer | undefined;
  private readonly compare: (a: Buffer, b: Buffer) => boolean;
  private readonly ttlMs: number;
  private readonly maxEntries: number;

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

  /** Every key, revoked ones included, oldest first. @throws ServiceError `store_unavailable`. */
  async list(): Promise<ApiKeyRecord[]> {
    const items = await this.items();
    return items.map(toRecord).sort((a, b) => a.created_at.localeCompare(b.created_at));
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
    if (this.compare(this.bootstrap ?? NO_DIGEST, digest) && this.bootstrap !== undefined) {
      return { kind: 'api_key', id: BOOTSTRAP_ADMIN_ID, scopes: ['admin'] };
    }
    const hex = digest.toString('hex');
    const now = this.clock.now();
    let entry = this.cache.get(hex);
    if (entry === undefined || entry.until <= now) {
      entry = await this.lookup(hex, now);
      this.remember(hex, entry);
    }
    // The lookup was by digest, so a found item matches; comparing anyway keeps one code path for
    // found and not-found keys, and guards against a lookup that ever returned the wrong item.
    const same = this.compare(entry.stored ?? NO_DIGEST, digest);
    return same && entry.stored !== undefined ? entry.principal : null;
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
    if (out.Item === undefined) return { until, stored: undefined, principal: null };
    const item = decode(out.Item);
    const stored = Buffer.from(item.sk, 'hex');
    if (stored.length !== 32) return { until, stored: undefined, principal: null };
    const principal: Principal | null =
      item.revoked_at === undefined ? { kind: 'api_key', id: item.key_id, scopes: item.scopes } : null;
    return { until, stored, principal };
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

function decode(item: Record<string, AttributeValue>): KeyItem {
  return itemSchema.parse(unmarshall(item));
}

function toRecord(item: KeyItem): ApiKeyRecord {
  const { sk: _digest, revoked_at, ...rest } = item;
  return { ...rest, ...(revoked_at === undefined ? {} : { revoked_at }) };
}
