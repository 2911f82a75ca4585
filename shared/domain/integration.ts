import * as z from 'zod';
import { MAX_REFRESH_TOKEN_LIFETIME_SECONDS } from '../policy/limits';
import { idSchema } from './ids';

/** How the client authenticates at the token endpoint (RFC 6749 §2.3.1). */
export const clientAuthSchema = z.enum(['client_secret_basic', 'client_secret_post']);
export type ClientAuth = z.infer<typeof clientAuthSchema>;

/**
 * What to do when a token response carries no expiry (`expires_in`/`expires_at`):
 * - `jwt_exp_then_previous`: read the access token's JWT `exp`, else reuse the previous lifetime,
 *   else the conservative default. Never "never refresh".
 * - `non_expiring`: the provider's tokens do not expire (Notion, Intercom, classic GitHub apps);
 *   the keep-alive still applies where the provider has a refresh token.
 */
export const expiryFallbackSchema = z.enum(['jwt_exp_then_previous', 'non_expiring']);
export type ExpiryFallback = z.infer<typeof expiryFallbackSchema>;

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

const PLACEHOLDER = /\{[A-Za-z_][A-Za-z0-9_]*\}/g;

/**
 * A URL that may still hold `{placeholders}`. Only the shape is checked here (http or https, so
 * local providers on loopback work); which hosts are allowed is the URL policy's decision.
 */
const templatedUrlSchema = z
  .string()
  .min(1)
  .max(2_048)
  .refine((value) => {
    try {
      const { protocol } = new URL(value.replace(PLACEHOLDER, 'x'));
      return protocol === 'https:' || protocol === 'http:';
    } catch {
      return false;
    }
  }, 'must be an http(s) URL; {placeholders} are allowed');

const stringMapSchema = z.record(z.string().min(1), z.string());

/**
 * An integration's configuration as the API receives (api.md `PUT /v1/integrations/{id}`, without
 * `client_secret`) and the store keeps it, plus the extension `url_params` (values for `{tenant}`,
 * `{subdomain}`, ...). The API layer extends it with `client_secret`.
 *
 * Field by field only: validate with `integrationConfigSchema` (shared/providers/resolve.ts), which
 * adds the rules that need the provider catalogue (a known provider, a token URL where the catalogue
 * has none).
 */
export const integrationConfigObjectSchema = z.object({
  provider: z.string().min(1),
  client_id: z.string().min(1).max(1_024),
  token_url: templatedUrlSchema.optional(),
  authorization_url: templatedUrlSchema.optional(),
  scopes: z.array(z.string().min(1)).optional(),
  authorization_params: stringMapSchema.optional(),
  client_auth: clientAuthSchema.optional(),
  refresh_params: stringMapSchema.optional(),
  webhook_url: z.url({ protocol: /^https?$/ }).optional(),
  refresh: refreshSettingsSchema.optional(),
  url_params: stringMapSchema.optional(),
  /** Overrides the catalogue's rotation behaviour (e.g. a `custom` provider known to rotate with a grace window). */
  rotates_refresh_token: z.boolean().optional(),
  /** Seconds the previous refresh token stays usable after a rotation (0 = strict). */
  reuse_grace_seconds: z.number().int().min(0).max(31_536_000).nullable().optional(),
  /**
   * api.md v1.1: a reconnect through the connect flow may authorize a different provider account
   * than the connection's `account_id` (default false: refused with `account_mismatch`).
   */
  allow_account_change: z
    .boolean()
    .optional()
    .describe(
      "A reconnect through the connect flow may authorize another provider account than the connection's account_id (default false: the callback answers status=error&error=account_mismatch and keeps the stored grant).",
    ),
});
export type IntegrationConfig = z.infer<typeof integrationConfigObjectSchema>;

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
  readonly clientAuth: ClientAuth;
  readonly refreshParams: Readonly<Record<string, string>>;
  readonly urlParams: Readonly<Record<string, string>>;
  readonly scopes: readonly string[];
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly rotatesRefreshToken: boolean;
  readonly reuseGraceSeconds: number | null;
  readonly expiryFallback: ExpiryFallback;
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
