import * as z from 'zod';

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

/**
 * A provider's refresh behaviour, as the catalogue models it. `{name}` placeholders in URLs are
 * filled from the integration's `url_params` or the connection's `metadata` (e.g. `{tenant}`,
 * `{subdomain}`, `{shop}`).
 */
export const providerDefinitionSchema = z.object({
  key: z.string().regex(/^[a-z][a-z0-9_-]*$/),
  display_name: z.string().min(1),
  token_url: z.string().min(1).nullable(),
  authorization_url: z.string().min(1).nullable(),
  client_auth: clientAuthSchema,
  /** Extra form parameters sent with every refresh grant. */
  refresh_params: z.record(z.string(), z.string()),
  /** Default values for URL placeholders (e.g. Microsoft's `tenant` = `common`). */
  url_param_defaults: z.record(z.string(), z.string()),
  default_scopes: z.array(z.string()),
  /** Extra authorization-URL parameters needed to obtain a refresh token. */
  authorization_params: z.record(z.string(), z.string()),
  /** The provider issues a new refresh token on refresh and the old one stops working. */
  rotates_refresh_token: z.boolean(),
  /**
   * How long the previous refresh token stays usable after a rotation (0 = strict: reuse revokes
   * the grant, RFC 9700 §4.14.2). `null` for non-rotating providers (reuse is always fine).
   */
  reuse_grace_seconds: z.number().int().nonnegative().nullable(),
  /** Refresh tokens die after this long unused; drives the keep-alive. `null` = unknown / none. */
  refresh_token_idle_expiry_seconds: z.number().int().positive().nullable(),
  expiry_fallback: expiryFallbackSchema,
  /** Errors arrive as HTTP 200 with `{"ok": false, "error"}` (Slack) or `{"error"}` (GitHub). */
  errors_in_200_body: z.boolean(),
  /** Dotted path to the token object inside the response, e.g. Slack's `authed_user`. */
  token_path: z.string().nullable(),
  /** Send `Accept: application/json` (GitHub answers form-encoded otherwise). */
  accept_json_header: z.boolean(),
  /** Send the grant as a JSON body instead of form-urlencoded (Notion). */
  json_body: z.boolean(),
  notes: z.string(),
});
export type ProviderDefinition = z.infer<typeof providerDefinitionSchema>;
