import * as z from 'zod';
import { connectionStatusSchema } from '../../domain/connection';
import { idSchema } from '../../domain/ids';
import { refreshErrorCodeSchema } from '../../domain/refresh-failure';

const TEN_YEARS_SECONDS = 315_360_000;
const MAX_METADATA_DEPTH = 16;
/** Metadata rides on every read of the item: keep it small (design.md: < 1 KB beside the ciphertext). */
const MAX_METADATA_BYTES = 4_096;

/**
 * api.md `PUT .../connections/{connection_id}`. Strict, like every request body. `expires_in` or
 * `expires_at` (ISO 8601 with an offset), or neither (the expiry is derived from a JWT `exp`, else
 * the token is treated as non-expiring and kept alive); both is a 400. `refresh_token` may be null
 * or absent for providers whose tokens do not expire.
 */
export const connectionInputSchema = z
  .object({
    access_token: z.string().min(1).max(16_384),
    refresh_token: z.string().min(1).max(16_384).nullable().optional(),
    expires_in: z.number().int().min(0).max(TEN_YEARS_SECONDS).optional(),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    token_type: z.string().min(1).max(64).optional(),
    scope: z.string().max(4_096).optional(),
    raw: z.record(z.string(), z.unknown()).optional(),
    /** api.md v1.1: when the grant was authorized (default: the import time); starts its clock. */
    authorized_at: z.iso.datetime({ offset: true }).optional(),
    metadata: z
      .record(z.string().min(1).max(128), z.json())
      .refine((m) => JSON.stringify(m).length <= MAX_METADATA_BYTES, {
        message: `must serialize to at most ${MAX_METADATA_BYTES} bytes`,
      })
      // DynamoDB refuses documents nested deeper than 32 levels: a 400 here, not a failed write.
      .refine((m) => depthOf(m) <= MAX_METADATA_DEPTH, {
        message: `must nest at most ${MAX_METADATA_DEPTH} levels deep`,
      })
      // Stored as DynamoDB numbers and read back as JS numbers: 1e21 or 2^53+1 cannot round-trip
      // (util-dynamodb refuses them), and DynamoDB refuses magnitudes below 1e-130.
      .refine((m) => numbersStorable(m), {
        message: 'numbers must be integers within ±(2^53 - 1), or decimals of magnitude at least 1e-130',
      })
      .optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.expires_in !== undefined && body.expires_at !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['expires_at'],
        message: 'give expires_in or expires_at, not both',
      });
    }
  })
  .meta({ id: 'ConnectionInput' });
export type ConnectionInput = z.output<typeof connectionInputSchema>;

function numbersStorable(value: unknown): boolean {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? Number.isSafeInteger(value) : Math.abs(value) >= 1e-130;
  }
  if (typeof value !== 'object' || value === null) return true;
  return Object.values(value).every(numbersStorable);
}

function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

const timestampSchema = z.iso.datetime();

export const lastErrorSchema = z
  .object({
    code: refreshErrorCodeSchema,
    message: z.string(),
    provider_error: z.string().nullable(),
    provider_error_description: z.string().nullable(),
    at: timestampSchema,
  })
  .meta({ id: 'LastError' });

/** api.md connection view: never contains a secret. */
export const connectionSchema = z
  .object({
    integration_id: idSchema,
    connection_id: idSchema,
    provider: z.string(),
    status: connectionStatusSchema,
    access_token_expires_at: timestampSchema.nullable(),
    last_refresh_at: timestampSchema.nullable(),
    next_refresh_at: timestampSchema.nullable(),
    consecutive_failures: z.number().int().nonnegative(),
    last_error: lastErrorSchema.nullable(),
    metadata: z.record(z.string(), z.unknown()),
    /**
     * api.md v1.1: the provider's account identity recorded at the first connect (an ID token's
     * `iss` and `sub`, as `<iss>|<sub>`), or null when the provider gives none. Never a secret.
     */
    account_id: z
      .string()
      .nullable()
      .describe(
        "The provider account recorded at the first connect (an ID token's iss and sub, as `<iss>|<sub>`); null when the provider gives none. A reconnect by another account is refused (account_mismatch) unless the integration sets allow_account_change.",
      ),
    /** api.md v1.1: when the current refresh token dies if unused (null when unknown). */
    refresh_token_expires_at: timestampSchema.nullable(),
    /** api.md v1.1: the grant's hard end, which no refresh moves (null when unknown or none). */
    reauth_due_at: timestampSchema.nullable(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Connection' });
export type ConnectionView = z.output<typeof connectionSchema>;

export const connectionListSchema = z
  .object({ items: z.array(connectionSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'ConnectionList' });

/** `GET /v1/connections`. Unknown query parameters are ignored (cache busters, tracing). */
export const connectionListQuerySchema = z.object({
  integration_id: idSchema.optional(),
  status: connectionStatusSchema.optional(),
  /** api.md v1.1: only connections whose `reauth_due_at` is before this time. */
  reauth_due_before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Opaque; from the previous page's `next_cursor`. */
  cursor: z.string().min(1).max(2_048).optional(),
});
export type ConnectionListQuery = z.output<typeof connectionListQuerySchema>;
