import * as z from 'zod';
import { outboxEventSchema } from './events';
import { idSchema } from './ids';

/**
 * A refresh task on the refresh queue: identifiers only, never a secret (design.md invariant 7).
 * `due_at` (epoch ms) lets the refresher measure how late it runs.
 */
export const refreshTaskSchema = z.object({
  v: z.literal(1),
  integration_id: idSchema,
  connection_id: idSchema,
  due_at: z.number().int().nonnegative(),
});
export type RefreshTask = z.infer<typeof refreshTaskSchema>;

/** A webhook event on the webhook queue: the outbox event as is (id = webhook-id, body = what is signed). */
export const webhookMessageSchema = outboxEventSchema;
export type WebhookMessage = z.infer<typeof webhookMessageSchema>;

/** Parses a queue message body; a malformed body throws (the message is poison and ends in the DLQ). */
export function parseMessage<T>(schema: z.ZodType<T>, body: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error('message body is not JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    throw new Error(
      `message body is invalid: ${result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')}`,
    );
  }
  return result.data;
}
