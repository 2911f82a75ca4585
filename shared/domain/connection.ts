import * as z from 'zod';
import { idSchema } from './ids';
import { lastErrorSchema } from './refresh-failure';

export const connectionStatusSchema = z.enum(['active', 'failing', 'needs_reauth']);
export type ConnectionStatus = z.infer<typeof connectionStatusSchema>;

/**
 * The secret part of a connection. Stored only as one envelope ciphertext (bound to the connection
 * through the encryption context), never logged, never queued, never returned (the access token
 * is returned by the token endpoint only).
 */
export const tokenSecretsSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullable(),
  /** Provider response fields worth keeping (id_token, instance_url, ...). May hold secrets. */
  raw: z.record(z.string(), z.unknown()).optional(),
});
export type TokenSecrets = z.infer<typeof tokenSecretsSchema>;

/**
 * A connection as the core sees it (decoded from its DynamoDB item, without plaintext secrets).
 * Times are epoch milliseconds; `null` means "not set".
 */
export const connectionSchema = z.object({
  integrationId: idSchema,
  connectionId: idSchema,
  provider: z.string(),
  status: connectionStatusSchema,
  /** The fence: grows on every lease and every commit. */
  version: z.number().int().nonnegative(),
  /**
   * Names this life of the connection: set when the item is created, new after a delete and
   * re-create. Part of the fence, so a worker that leased a deleted connection can never commit
   * over a re-created one whose `version` started again. `null` on items written before it existed.
   */
  incarnation: z.string().nullable(),
  /** Grows on every write of new credentials; a change means someone stored new tokens. */
  credentialGeneration: z.number().int().nonnegative(),
  leaseUntil: z.number().nullable(),
  leaseOwner: z.string().nullable(),
  /** Envelope ciphertext of {@link TokenSecrets}. */
  secretsCiphertext: z.instanceof(Uint8Array),
  tokenType: z.string().nullable(),
  scope: z.string().nullable(),
  accessTokenExpiresAt: z.number().nullable(),
  /** Lifetime the provider gave last time (seconds), the fallback when a response omits expiry. */
  lastLifetimeSeconds: z.number().nullable(),
  lastRefreshAt: z.number().nullable(),
  nextRefreshAt: z.number().nullable(),
  consecutiveFailures: z.number().int().nonnegative(),
  failingSince: z.number().nullable(),
  lastError: lastErrorSchema.nullable(),
  /** Whether the stored credentials include a refresh token; `null` on items written before it was recorded. */
  hasRefreshToken: z.boolean().nullable(),
  /** The provider's `Retry-After` in force until then (epoch ms, clamped); forced refreshes honour it. */
  retryAfterUntil: z.number().nullable(),
  /** Id of the last commit written, so a writer whose response was lost can tell whether it landed. */
  lastCommitId: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  /**
   * The provider's account identity recorded at the first connect (`<iss>|<sub>` of an ID token),
   * or null when the provider gives none. A reconnect that authorizes another account is refused
   * unless the integration allows it. Absent on items written before it was recorded.
   */
  accountId: z.string().nullable().optional(),
  /**
   * api.md v1.1, the grant's two clocks (epoch ms; null or absent when unknown): when the current
   * refresh token dies if unused, and the grant's hard end that no refresh moves.
   */
  refreshTokenExpiresAt: z.number().nullable().optional(),
  reauthDueAt: z.number().nullable().optional(),
  /** When the current grant was authorized (epoch ms); absent means `createdAt`. */
  authorizedAt: z.number().nullable().optional(),
  /** `connection.reauth_due` was written for the current grant (once per grant). */
  reauthWarned: z.boolean().optional(),
  /** Recent attempts, compact (shared/history/ring.ts), carried by the commits that already happen. */
  attemptRing: z.string().nullable().optional(),
  createdAt: z.number(),
  updatedAt: z.number(),
});
export type Connection = z.infer<typeof connectionSchema>;
