import * as z from 'zod';
import { MAX_REFRESH_TOKEN_LIFETIME_SECONDS } from '../policy/limits';
import type { clientAuthSchema, expiryFallbackSchema } from '../providers/schema';
import { idSchema } from './ids';

/** api.md v1.1: `refresh.reauth_lead_seconds` default (7 days). */
export const DEFAULT_REAUTH_LEAD_SECONDS = 604_800;
/** The longest lead accepted (a year). */
export const MAX_REAUTH_LEAD_SECONDS = 31_536_000;

export const refreshModeSchema = z.enum(['proactive', 'on_demand']);

/** Refresh settings of an integration (api.md `refresh`), all optional; defaults in {@link DEFAULT_REFRESH_SETTINGS}. */
export const refreshSettingsSchema = z.object({
  margin_seconds: z.number().int().min(0).max(86_400).optional(),
  keepalive_seconds: z.number().int().min(60).max(31_536_000).optional(),
  mode: refreshModeSchema.optional(),
  /** Spread of due times (seconds) so connections created together do not refresh together. */
  jitter_seconds: z.number().int().min(0).max(3_600).optional(),
  /** First retry delay after a transient failure; doubles per failure (full jitter). */
  retry_base_seconds: z.number().int().min(1).max(3_600).optional(),
  retry_max_seconds: z.number().int().min(1).max(86_400).optional(),
  /** After failing this long without a success the connection becomes needs_reauth. */
  retry_horizon_seconds: z.number().int().min(60).max(2_592_000).optional(),
  /**
   * api.md v1.1: a refresh token dies after this long unused (overrides the catalogue; null = never).
   * The service always refreshes before it, whatever `keepalive_seconds` says.
   */
  refresh_token_idle_seconds: z
    .number()
    .int()
    .min(60)
    .max(MAX_REFRESH_TOKEN_LIFETIME_SECONDS)
    .nullable()
    .optional(),
  /** api.md v1.1: the grant's hard end, counted from `authorized_at` (overrides the catalogue; null = none). */
  grant_lifetime_seconds: z
    .number()
    .int()
    .min(60)
    .max(MAX_REFRESH_TOKEN_LIFETIME_SECONDS)
    .nullable()
    .optional(),
  /** api.md v1.1: `connection.reauth_due` is sent this long before `reauth_due_at` (default 7 days). */
  reauth_lead_seconds: z.number().int().min(0).max(MAX_REAUTH_LEAD_SECONDS).optional(),
});
export type RefreshSettingsInput = z.infer<typeof refreshSettingsSchema>;

export interface RefreshSettings {
  readonly marginSeconds: number;
  readonly keepaliveSeconds: number;
  readonly mode: 'proactive' | 'on_demand';
  readonly jitterSeconds: number;
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
  readonly retryHorizonSeconds: number;
  /** Lifetime assumed when neither the response, a JWT `exp` nor the previous refresh tells one. */
  readonly defaultLifetimeSeconds: number;
  /** A refresh token's idle lifetime (integration, else catalogue); null or absent = none known. */
  readonly refreshTokenIdleSeconds?: number | null;
  /** The grant's hard lifetime from authorization (integration, else catalogue); null or absent = none. */
  readonly grantLifetimeSeconds?: number | null;
  /** Lead of `connection.reauth_due` before `reauth_due_at`; absent = {@link DEFAULT_REAUTH_LEAD_SECONDS}. */
  readonly reauthLeadSeconds?: number;
}

export const DEFAULT_REFRESH_SETTINGS: RefreshSettings = {
  marginSeconds: 900,
  keepaliveSeconds: 86_400,
  mode: 'proactive',
  jitterSeconds: 120,
  retryBaseSeconds: 30,
  retryMaxSeconds: 1_800,
  retryHorizonSeconds: 259_200,
  defaultLifetimeSeconds: 3_600,
};

/**
 * An integration after catalogue defaults and overrides are merged: everything the refresh core
 * needs, with the client secret still encrypted.
 */
export interface ResolvedIntegration {
  readonly integrationId: string;
  readonly provider: string;
  readonly clientId: string;
  /** Envelope ciphertext of the client secret, or null for public clients. */
  readonly clientSecretCiphertext: Uint8Array | null;
  /** Token URL, possibly with `{placeholders}` still to fill per connection. */
  readonly tokenUrl: string;
  readonly authorizationUrl: string | null;
  readonly clientAuth: z.infer<typeof clientAuthSchema>;
  readonly refreshParams: Readonly<Record<string, string>>;
  readonly urlParams: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly rotatesRefreshToken: boolean;
  readonly reuseGraceSeconds: number | null;
  readonly expiryFallback: z.infer<typeof expiryFallbackSchema>;
  readonly errorsIn200Body: boolean;
  readonly tokenPath: string | null;
  readonly acceptJsonHeader: boolean;
  readonly jsonBody: boolean;
  /** The provider's documented hard end of a grant, counted from authorization (`null` = unknown / none). */
  readonly grantLifetimeSeconds?: number | null;
  /** The provider's documented refresh-token idle lifetime (`null` = unknown / none). */
  readonly refreshTokenIdleSeconds?: number | null;
  readonly webhookUrl: string | null;
  readonly refresh: RefreshSettings;
  /** A reconnect may authorize another provider account than the one recorded (api.md v1.1). Default false. */
  readonly allowAccountChange?: boolean;
  /** The catalogue's fields of the code exchange's answer that name the account (no ID token). */
  readonly accountIdFields?: readonly string[];
}

export const integrationIdSchema = idSchema;
