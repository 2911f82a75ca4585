import * as z from 'zod';

/**
 * Classification of a failed refresh (design.md "Error taxonomy"). This is the `last_error.code`
 * of api.md and decides what happens next:
 * - `revoked`: the grant is gone (invalid_grant) → needs_reauth, no retry.
 * - `client_misconfigured`: invalid_client / unauthorized_client: the integration is broken, the
 *   refresh token is not burnt → failing, retried with backoff, alarm.
 * - `rate_limited`: 429 / provider "slow down" → failing, no attempt before Retry-After.
 * - `provider_unavailable`: 5xx, or a network error before the request was sent → failing, retried.
 * - `ambiguous`: timeout or dropped connection after the request was sent; the refresh token may
 *   be spent → failing, only re-sent in-call where the provider tolerates reuse.
 * - `invalid_response`: the provider answered something unusable → failing, retried.
 */
export const refreshErrorCodeSchema = z.enum([
  'revoked',
  'client_misconfigured',
  'rate_limited',
  'provider_unavailable',
  'ambiguous',
  'invalid_response',
]);
export type RefreshErrorCode = z.infer<typeof refreshErrorCodeSchema>;

/** api.md `last_error`. */
export const lastErrorSchema = z.object({
  code: refreshErrorCodeSchema,
  message: z.string(),
  provider_error: z.string().nullable(),
  provider_error_description: z.string().nullable(),
  at: z.string(),
});
export type LastError = z.infer<typeof lastErrorSchema>;
