import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { connectionStatusSchema } from '../../../domain/connection';
import { outboxEventSchema } from '../../../domain/events';
import { lastErrorSchema } from '../../../domain/refresh-failure';
import { MAX_TIME_MS } from '../../../policy/limits';
import type { StoredConnection } from '../../../ports/store';
import { connectionKeyFromItemKeys } from './table';

/** Attribute names of a connection item (none is a DynamoDB reserved word; all are aliased anyway). */
export const A = {
  provider: 'provider',
  status: 'conn_status',
  version: 'version',
  incarnation: 'inc',
  commitId: 'commit_id',
  hasRefreshToken: 'has_rt',
  retryAfterUntil: 'retry_after_until',
  credentialGeneration: 'cred_gen',
  leaseUntil: 'lease_until',
  leaseOwner: 'lease_owner',
  secrets: 'secrets',
  tokenType: 'token_type',
  scope: 'token_scope',
  expiresAt: 'expires_at',
  lifetime: 'lifetime_s',
  lastRefreshAt: 'last_refresh_at',
  nextRefreshAt: 'next_refresh_at',
  dueShard: 'due_shard',
  dueAt: 'due_at',
  failures: 'failures',
  failingSince: 'failing_since',
  lastError: 'last_error',
  metadata: 'metadata',
  accountId: 'account_id',
  outbox: 'outbox',
  outboxShard: 'outbox_shard',
  outboxAt: 'outbox_at',
  // Short names: they ride on every write of the item (design.md: keep items small).
  refreshTokenExpiresAt: 'rt_exp',
  reauthDueAt: 'reauth_at',
  authorizedAt: 'auth_at',
  reauthWarned: 'rd_sent',
  attemptRing: 'hr',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
} as const;

const num = z.number();
const optNum = z.number().nullable().optional();

const connectionItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  [A.provider]: z.string(),
  [A.status]: connectionStatusSchema,
  [A.version]: num,
  [A.incarnation]: z.string().optional(),
  [A.commitId]: z.string().optional(),
  [A.hasRefreshToken]: z.boolean().optional(),
  [A.retryAfterUntil]: optNum,
  [A.credentialGeneration]: num,
  [A.leaseUntil]: optNum,
  [A.leaseOwner]: z.string().nullable().optional(),
  [A.secrets]: z.instanceof(Uint8Array),
  [A.tokenType]: z.string().nullable().optional(),
  [A.scope]: z.string().nullable().optional(),
  [A.expiresAt]: optNum,
  [A.lifetime]: optNum,
  [A.lastRefreshAt]: optNum,
  [A.nextRefreshAt]: optNum,
  [A.failures]: num.optional(),
  [A.failingSince]: optNum,
  [A.lastError]: lastErrorSchema.nullable().optional(),
  [A.metadata]: z.record(z.string(), z.unknown()).optional(),
  [A.accountId]: z.string().nullable().optional(),
  [A.outbox]: z.array(outboxEventSchema).optional(),
  [A.refreshTokenExpiresAt]: optNum,
  [A.reauthDueAt]: optNum,
  [A.authorizedAt]: optNum,
  [A.reauthWarned]: z.boolean().optional(),
  [A.attemptRing]: z.string().nullable().optional(),
  [A.createdAt]: num,
  [A.updatedAt]: num,
});

/** The latest instant any stored time may hold. */
export const MAX_STORED_TIME_MS = MAX_TIME_MS;

/**
 * Top-level numbers that do not fit a JS number exactly (written before provider times were
 * clamped) are read as the latest storable time rather than making the item unreadable: the
 * attributes that can hold such numbers are all times, and "far future" is what was written.
 */
function tolerateHugeNumbers(item: Record<string, AttributeValue>): Record<string, AttributeValue> {
  let out: Record<string, AttributeValue> | undefined;
  for (const [name, value] of Object.entries(item)) {
    if (value.N === undefined) continue;
    const parsed = Number(value.N);
    if (
      Number.isSafeInteger(parsed) ||
      (Number.isFinite(parsed) && Math.abs(parsed) <= Number.MAX_SAFE_INTEGER)
    )
      continue;
    out ??= { ...item };
    out[name] = { N: String(parsed < 0 ? 0 : MAX_STORED_TIME_MS) };
  }
  return out ?? item;
}

/** Decodes a connection item; a malformed item is a bug or tampering and throws. */
export function decodeConnection(item: Record<string, AttributeValue>): StoredConnection {
  const raw = connectionItemSchema.parse(unmarshall(tolerateHugeNumbers(item), { wrapNumbers: false }));
  const key = connectionKeyFromItemKeys(raw.pk, raw.sk);
  if (key === null) throw new Error(`item ${raw.pk}/${raw.sk} is not a connection`);
  return {
    integrationId: key.integrationId,
    connectionId: key.connectionId,
    provider: raw[A.provider],
    status: raw[A.status],
    version: raw[A.version],
    incarnation: raw[A.incarnation] ?? null,
    lastCommitId: raw[A.commitId] ?? null,
    hasRefreshToken: raw[A.hasRefreshToken] ?? null,
    retryAfterUntil: raw[A.retryAfterUntil] ?? null,
    credentialGeneration: raw[A.credentialGeneration],
    leaseUntil: raw[A.leaseUntil] ?? null,
    leaseOwner: raw[A.leaseOwner] ?? null,
    secretsCiphertext: raw[A.secrets],
    tokenType: raw[A.tokenType] ?? null,
    scope: raw[A.scope] ?? null,
    accessTokenExpiresAt: raw[A.expiresAt] ?? null,
    lastLifetimeSeconds: raw[A.lifetime] ?? null,
    lastRefreshAt: raw[A.lastRefreshAt] ?? null,
    nextRefreshAt: raw[A.nextRefreshAt] ?? null,
    consecutiveFailures: raw[A.failures] ?? 0,
    failingSince: raw[A.failingSince] ?? null,
    lastError: raw[A.lastError] ?? null,
    metadata: raw[A.metadata] ?? {},
    accountId: raw[A.accountId] ?? null,
    outbox: raw[A.outbox] ?? [],
    refreshTokenExpiresAt: raw[A.refreshTokenExpiresAt] ?? null,
    reauthDueAt: raw[A.reauthDueAt] ?? null,
    authorizedAt: raw[A.authorizedAt] ?? raw[A.createdAt],
    reauthWarned: raw[A.reauthWarned] ?? false,
    attemptRing: raw[A.attemptRing] ?? null,
    createdAt: raw[A.createdAt],
    updatedAt: raw[A.updatedAt],
  };
}
