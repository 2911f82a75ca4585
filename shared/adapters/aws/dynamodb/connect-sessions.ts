import { randomBytes } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { generateCodeVerifier } from '../../../oauth/code';
import type { Clock } from '../../../ports/clock';
import type { ConnectSession, ConnectSessionStore, NewConnectSession } from '../../../ports/connect-sessions';
import type { EncryptionContext, Keyring } from '../../../ports/keyring';
import { b, ExpressionBuilder, n, s } from './expression';
import { storeCall, storeError } from './sdk-errors';
import { TTL_ATTRIBUTE } from './table';

/** api.md: a state is single-use and expires after 10 minutes. */
export const CONNECT_SESSION_TTL_MS = 10 * 60 * 1000;

/** Connect sessions share the service table: `pk = S#<state>`, `sk = S` (no GSI attributes). */
export const connectSessionPk = (state: string): string => `S#${state}`;
export const CONNECT_SESSION_SK = 'S';

/** 32 random bytes, base64url: exactly 43 characters from this alphabet. */
const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The verifier is bound to the session's connection: copied into another session it fails to decrypt. */
export const connectSessionContext = (integrationId: string, connectionId: string): EncryptionContext => ({
  integration_id: integrationId,
  connection_id: connectionId,
  purpose: 'connect_session',
});

const itemSchema = z.object({
  integration_id: z.string(),
  connection_id: z.string(),
  redirect_uri: z.string().optional(),
  /** The session's metadata as JSON text (exactly what the callback stores on the connection). */
  metadata_json: z.string().optional(),
  code_verifier: z.instanceof(Uint8Array),
  created_at: z.number(),
  expires_at: z.number(),
});

/**
 * Connect-flow sessions (api.md "Re-authorization (connect) flow") in the service table. The PKCE
 * verifier is stored encrypted (purpose `connect_session`). `ttl` (epoch seconds) lets DynamoDB TTL
 * remove stale items; TTL deletes lazily (up to days late), so {@link consume} checks `expires_at`
 * itself. SDK errors become `store_unavailable`.
 */
export class DynamoConnectSessionStore implements ConnectSessionStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly ttlMs = CONNECT_SESSION_TTL_MS,
  ) {}

  /**
   * Starts a session: a fresh `state` (32 random bytes, base64url) and PKCE verifier.
   * @throws ServiceError `store_unavailable`, `encrypt_failed`, `keyring_unavailable`
   */
  async create(
    input: NewConnectSession,
  ): Promise<{ state: string; codeVerifier: string; expiresAt: number }> {
    const state = randomBytes(32).toString('base64url');
    const codeVerifier = generateCodeVerifier();
    const now = this.clock.now();
    const expiresAt = now + this.ttlMs;
    const ciphertext = await this.keyring.encrypt(
      new TextEncoder().encode(codeVerifier),
      connectSessionContext(input.integrationId, input.connectionId),
    );
    const item: Record<string, AttributeValue> = {
      pk: s(connectSessionPk(state)),
      sk: s(CONNECT_SESSION_SK),
      integration_id: s(input.integrationId),
      connection_id: s(input.connectionId),
      ...(input.redirectUri === undefined ? {} : { redirect_uri: s(input.redirectUri) }),
      ...(input.metadata === undefined ? {} : { metadata_json: s(JSON.stringify(input.metadata)) }),
      code_verifier: b(ciphertext),
      created_at: n(now),
      expires_at: n(expiresAt),
      [TTL_ATTRIBUTE]: n(Math.ceil(expiresAt / 1000)),
    };
    const x = new ExpressionBuilder();
    await storeCall('PutItem', () =>
      this.client.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: item,
          // 256 random bits never collide; the condition only makes "never overwrite" explicit.
          ConditionExpression: `attribute_not_exists(${x.name('pk')})`,
          ...x.attributes(),
        }),
      ),
    );
    return { state, codeVerifier, expiresAt };
  }

  /**
   * Takes the session for `state`, exactly once: one conditional DeleteItem returning the old item,
   * so two callbacks racing with the same state cannot both get it. Returns null for a malformed,
   * unknown, already used or expired state (an expired one is deleted as well).
   * @throws ServiceError `store_unavailable`; `decrypt_failed` when the stored verifier was tampered with
   */
  async consume(state: string): Promise<ConnectSession | null> {
    if (!STATE_PATTERN.test(state)) return null;
    const x = new ExpressionBuilder();
    let old: Record<string, AttributeValue> | undefined;
    try {
      const out = await this.client.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { pk: s(connectSessionPk(state)), sk: s(CONNECT_SESSION_SK) },
          ConditionExpression: `attribute_exists(${x.name('pk')})`,
          ReturnValues: 'ALL_OLD',
          ...x.attributes(),
        }),
      );
      old = out.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return null;
      throw storeError('DeleteItem', error);
    }
    const parsed = itemSchema.safeParse(old === undefined ? undefined : unmarshall(old));
    if (!parsed.success) return null;
    const item = parsed.data;
    if (this.clock.now() >= item.expires_at) return null;
    const plaintext = await this.keyring.decrypt(
      item.code_verifier,
      connectSessionContext(item.integration_id, item.connection_id),
    );
    return {
      state,
      integrationId: item.integration_id,
      connectionId: item.connection_id,
      redirectUri: item.redirect_uri ?? null,
      metadata: item.metadata_json === undefined ? null : parseMetadata(item.metadata_json),
      codeVerifier: new TextDecoder().decode(plaintext),
      createdAt: item.created_at,
      expiresAt: item.expires_at,
    };
  }
}

/** The stored metadata JSON as an object; anything else (never written by {@link create}) as none. */
function parseMetadata(json: string): Readonly<Record<string, unknown>> | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = z.record(z.string(), z.unknown()).safeParse(value);
  return parsed.success ? parsed.data : null;
}
