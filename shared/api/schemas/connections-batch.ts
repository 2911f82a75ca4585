import * as z from 'zod';
import { idSchema } from '../../domain/ids';
import { errorEnvelopeSchema } from './common';
import { connectionInputSchema, connectionSchema } from './connections';

/** api.md v1.1: at most 100 connections a request. */
export const MAX_BATCH_ITEMS = 100;
/** api.md v1.1: the 64 KB body limit does not apply to the batch route; 1 MB (MiB, as the local server) does. */
export const MAX_BATCH_BODY_BYTES = 1_048_576;

/** One item: the single import's body plus the connection it is for. */
export const connectionBatchItemSchema = connectionInputSchema
  .safeExtend({ connection_id: idSchema })
  .meta({ id: 'ConnectionBatchItem' });
export type ConnectionBatchItem = z.output<typeof connectionBatchItemSchema>;

/**
 * The request envelope. Items are checked one by one in the route (each gets its own 400), so an
 * invalid item never fails its siblings; only the envelope (not an object, no `items`, 0 or more than
 * 100 of them, an item that is not an object) fails the whole request.
 */
export const connectionBatchInputSchema = z
  .object({
    items: z
      .array(
        z.union([
          connectionBatchItemSchema,
          z.record(z.string(), z.unknown()).meta({
            description: 'Any other object is answered in its own result: 400 invalid_request with details',
          }),
        ]),
      )
      .min(1)
      .max(MAX_BATCH_ITEMS),
  })
  .strict()
  .meta({ id: 'ConnectionBatchInput' });

export const connectionBatchResultSchema = z
  .object({
    connection_id: z.string(),
    status: z.number().int(),
    connection: connectionSchema.optional(),
    error: errorEnvelopeSchema.shape.error.optional(),
  })
  .meta({ id: 'ConnectionBatchResult' });

export const connectionBatchOutputSchema = z
  .object({ items: z.array(connectionBatchResultSchema) })
  .meta({ id: 'ConnectionBatchOutput' });
export type ConnectionBatchOutput = z.output<typeof connectionBatchOutputSchema>;
