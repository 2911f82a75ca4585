import * as z from 'zod';
import { connectionStatusSchema } from './connection';
import { refreshErrorCodeSchema } from './refresh-failure';

/**
 * api.md: these four event types, each once per state transition, and (v1.1)
 * `connection.reauth_due`, once per grant, the lead time before the grant's hard end.
 */
export const eventTypeSchema = z.enum([
  'connection.refresh_failed',
  'connection.reauth_required',
  'connection.recovered',
  'connection.reauthorized',
  'connection.reauth_due',
]);
export type EventType = z.infer<typeof eventTypeSchema>;

export const eventErrorSchema = z.object({
  code: refreshErrorCodeSchema,
  message: z.string(),
  provider_error: z.string().nullable(),
  provider_error_description: z.string().nullable(),
});

/** The webhook body of api.md. Never contains a secret. */
export const webhookEventBodySchema = z.object({
  type: eventTypeSchema,
  timestamp: z.string(),
  data: z.object({
    integration_id: z.string(),
    connection_id: z.string(),
    provider: z.string(),
    status: connectionStatusSchema,
    consecutive_failures: z.number().int().nonnegative(),
    access_token_expires_at: z.string().nullable(),
    error: eventErrorSchema.nullable(),
    /** `connection.reauth_due` only: the grant's hard end (api.md v1.1). */
    reauth_due_at: z.string().optional(),
  }),
});
export type WebhookEventBody = z.infer<typeof webhookEventBodySchema>;

/**
 * An event as it travels: the stable `id` becomes the `webhook-id` header (the same across
 * retries and republishes, so receivers can de-duplicate), the body is what is signed and sent.
 */
export const outboxEventSchema = z.object({
  id: z.string().regex(/^evt_[A-Za-z0-9_-]{10,64}$/),
  body: webhookEventBodySchema,
  /** The status the connection left (history's `from`); never sent to receivers (not signed, not in the body). */
  from: connectionStatusSchema.optional(),
});
export type OutboxEvent = z.infer<typeof outboxEventSchema>;
