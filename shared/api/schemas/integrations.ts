import * as z from 'zod';
import { idSchema } from '../../domain/ids';
import { refreshSettingsSchema } from '../../domain/integration';
import { integrationConfigSchema } from '../../providers/resolve';

/**
 * api.md `PUT /v1/integrations/{integration_id}`: the stored configuration plus `client_secret`.
 * Strict (and so is `refresh`): an unknown field is a 400 naming it, so a typo such as
 * `margin_second` surfaces instead of silently falling back to a default.
 *
 * `client_secret`: a string sets it; `null` removes it (a public client); omitted on a replace keeps
 * the stored one, since it can never be read back for a read-modify-write.
 */
export const integrationInputSchema = integrationConfigSchema
  .safeExtend({
    client_secret: z.string().min(1).max(4_096).nullable().optional(),
    refresh: refreshSettingsSchema.strict().optional(),
  })
  .strict()
  .meta({ id: 'IntegrationInput' });
export type IntegrationInput = z.output<typeof integrationInputSchema>;

const timestampSchema = z.iso.datetime();

/** The integration as sent, without `client_secret`, plus `client_secret_set` and timestamps. */
export const integrationSchema = z
  .object({
    integration_id: idSchema,
    ...integrationConfigSchema.shape,
    client_secret_set: z.boolean(),
    created_at: timestampSchema,
    updated_at: timestampSchema,
  })
  .meta({ id: 'Integration' });
export type IntegrationView = z.output<typeof integrationSchema>;

export const integrationListSchema = z
  .object({ items: z.array(integrationSchema) })
  .meta({ id: 'IntegrationList' });
