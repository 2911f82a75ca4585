import * as z from 'zod';

/** `POST /v1/integrations/{id}/retry`: connections made due now; `complete: false` means call again. */
export const integrationRetrySchema = z
  .object({
    retried: z.number().int().nonnegative(),
    complete: z.boolean(),
  })
  .meta({ id: 'IntegrationRetry' });
