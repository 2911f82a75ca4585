import * as z from 'zod';
import { clientAuthSchema } from '../../domain/integration';
import { BEHAVIOUR_NAMES, type BehaviourName } from '../../providers/schema';

const seconds = z.number().int().nonnegative();

/** `GET /v1/providers/{provider}` path parameters: any string; an unknown one is a 404. */
export const providerParamsSchema = z.object({ provider: z.string().min(1).max(64) }).strict();

/** One documented behaviour: its value and source, or `known: false` with why (`note`). */
const behaviourViewSchema = z
  .object({
    known: z.boolean(),
    value: z.unknown().describe('the documented value; null when unknown'),
    source: z.string().nullable().describe('the documentation page stating it'),
    third_party: z.boolean().describe("read on a page other than the provider's own documentation"),
    note: z.string().nullable(),
  })
  .meta({ id: 'ProviderBehaviour' });

const behavioursViewSchema = z
  .object(
    Object.fromEntries(BEHAVIOUR_NAMES.map((name) => [name, behaviourViewSchema])) as Record<
      BehaviourName,
      typeof behaviourViewSchema
    >,
  )
  .meta({ id: 'ProviderBehaviours' });

/**
 * api.md "Additions (v1.1)": a catalogue entry. The behaviour fields are `null` when the provider's
 * documentation does not state them. Extensions: `behaviours` (each behaviour with its source),
 * `quirk_sources`, `assumed` (what the service does where a behaviour is unknown), URL placeholders
 * and the default parameters an integration inherits.
 */
export const providerSchema = z
  .object({
    provider: z.string(),
    display_name: z.string(),
    token_url: z.string().nullable().describe('with {placeholders}; null: the integration must give one'),
    authorization_url: z.string().nullable(),
    client_auth: clientAuthSchema,
    rotates_refresh_token: z.boolean().nullable(),
    reuse_grace_seconds: seconds.nullable(),
    grant_lifetime_seconds: seconds.nullable(),
    refresh_token_idle_seconds: seconds.nullable(),
    quirks: z.array(z.string()),
    sources: z.array(z.string()).min(1),
    behaviours: behavioursViewSchema,
    quirk_sources: z.array(z.object({ text: z.string(), source: z.string(), third_party: z.boolean() })),
    assumed: z
      .object({
        rotates_refresh_token: z.boolean(),
        reuse_grace_seconds: seconds.nullable(),
        keepalive_seconds: seconds,
      })
      .describe('what the service does by default, conservative where the documentation is silent'),
    url_params: z.array(z.object({ name: z.string(), default: z.string().nullable() })),
    default_scopes: z.array(z.string()),
    authorization_params: z.record(z.string(), z.string()),
    refresh_params: z.record(z.string(), z.string()),
  })
  .meta({ id: 'Provider' });
export type ProviderView = z.output<typeof providerSchema>;

export const providerListSchema = z.object({ items: z.array(providerSchema) }).meta({ id: 'ProviderList' });
export type ProviderList = z.output<typeof providerListSchema>;
