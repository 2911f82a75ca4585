import * as z from 'zod';
import { connectionStatusSchema } from '../../domain/connection';
import { eventTypeSchema } from '../../domain/events';
import { refreshErrorCodeSchema } from '../../domain/refresh-failure';
import { lastErrorSchema } from './connections';

const timestampSchema = z.iso.datetime();

/** `GET .../history` (api.md v1.1). Unknown query parameters are ignored. */
export const historyQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  /** Opaque; from the previous page's `next_cursor`. */
  cursor: z.string().min(1).max(512).optional(),
});

/**
 * One history entry, newest first. Per `kind`: `refresh` (`trigger`, `outcome`, `error` as
 * `last_error` when failed, `duration_ms`), `transition` (`from`, `to`, `event_id`, `event_type`,
 * `delivery`, `error`), `import` / `reconnect` (`new_grant`), `token_reads` (`day`, `count`).
 * Never a secret.
 */
export const historyItemSchema = z
  .object({
    at: timestampSchema,
    kind: z.enum(['refresh', 'transition', 'import', 'reconnect', 'token_reads']),
    trigger: z.enum(['scheduled', 'on_demand', 'forced']).optional(),
    outcome: z.enum(['refreshed', 'failed', 'not_needed']).optional(),
    error: lastErrorSchema.nullable().optional(),
    duration_ms: z.number().int().nonnegative().optional(),
    from: connectionStatusSchema.nullable().optional(),
    to: connectionStatusSchema.optional(),
    event_id: z.string().optional(),
    event_type: eventTypeSchema.optional(),
    delivery: z.enum(['pending', 'delivered', 'dead_lettered']).optional(),
    new_grant: z.boolean().optional(),
    day: z.string().optional(),
    count: z.number().int().nonnegative().optional(),
  })
  .meta({ id: 'HistoryItem' });
export type HistoryItemView = z.output<typeof historyItemSchema>;

export const historyPageSchema = z
  .object({ items: z.array(historyItemSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'HistoryPage' });

/** `GET /v1/integrations/{id}/health` (api.md v1.1). */
export const integrationHealthSchema = z
  .object({
    connections: z.object({
      active: z.number().int().nonnegative(),
      failing: z.number().int().nonnegative(),
      needs_reauth: z.number().int().nonnegative(),
    }),
    failures_24h: z.partialRecord(refreshErrorCodeSchema, z.number().int().nonnegative()),
    next_refresh_at: timestampSchema.nullable(),
    refresh_latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable() }),
    reauth_due_within_lead: z.number().int().nonnegative(),
    /** True when the integration has more connections than one health answer reads (counts are of those read). */
    truncated: z.boolean(),
  })
  .meta({ id: 'IntegrationHealth' });
