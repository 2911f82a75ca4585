import * as z from 'zod';
import { connectionStatusSchema } from '../../domain/connection';

/** `GET .../token` query. Unknown parameters are ignored. */
export const tokenQuerySchema = z.object({
  /** The returned token stays valid at least this long (a refresh happens inline when needed). */
  min_validity_seconds: z.coerce.number().int().min(0).max(86_400).default(60),
  force_refresh: z.enum(['true', 'false']).default('false'),
});
export type TokenQuery = z.output<typeof tokenQuerySchema>;

/**
 * api.md token response. Never a refresh token. `status` is `failing` when the provider could not
 * refresh and the still-valid current token is served (serve-while-valid).
 */
export const accessTokenSchema = z
  .object({
    access_token: z.string(),
    token_type: z.string(),
    expires_at: z.iso.datetime().nullable(),
    scope: z.string().nullable(),
    status: connectionStatusSchema,
  })
  .meta({ id: 'AccessToken' });
export type AccessTokenView = z.output<typeof accessTokenSchema>;
