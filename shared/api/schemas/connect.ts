import * as z from 'zod';
import { idSchema } from '../../domain/ids';
import { connectionInputSchema } from './connections';

/** api.md `POST /v1/connect-sessions`. `redirect_uri`'s scheme rules depend on configuration: checked by the route. */
export const createConnectSessionSchema = z
  .object({
    integration_id: idSchema,
    connection_id: idSchema,
    redirect_uri: z.string().min(1).max(2_048).optional(),
    /**
     * api.md v1.1: stored on the connection the flow creates or re-authorizes (replacing its
     * metadata), and the source of the provider URL's placeholders (`shop`, `subdomain`, `tenant`,
     * `instance`). Without it an existing connection keeps its metadata.
     */
    metadata: connectionInputSchema.shape.metadata,
  })
  .strict()
  .meta({ id: 'CreateConnectSession' });

export const connectSessionSchema = z
  .object({
    /** Send the end user here (the provider's authorization endpoint, with state and PKCE challenge). */
    authorization_url: z.url(),
    state: z.string(),
    /** ISO 8601; the state is single-use and expires 10 minutes after creation. */
    expires_at: z.iso.datetime(),
  })
  .meta({ id: 'ConnectSession' });

/**
 * The authorization response (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 `iss`). Every field is optional
 * and unknown parameters are allowed, so no query ever fails validation here: a browser reads this
 * route, and the handler answers bad input with a page or a redirect, never with a JSON error.
 */
export const oauthCallbackQuerySchema = z
  .object({
    code: z.string().optional(),
    state: z.string().optional(),
    error: z.string().optional(),
    error_description: z.string().optional(),
    iss: z.string().optional(),
  })
  .loose();
