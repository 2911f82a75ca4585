import * as z from 'zod';
import { idSchema } from '../../domain/ids';

export const healthSchema = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

/** api.md error envelope. */
export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

export const integrationParamsSchema = z.object({ integration_id: idSchema }).strict();
export const connectionParamsSchema = z
  .object({ integration_id: idSchema, connection_id: idSchema })
  .strict();
