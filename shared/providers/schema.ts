import * as z from 'zod';
import { clientAuthSchema, expiryFallbackSchema } from '../domain/integration';

/** A documentation page: https only. */
export const sourceUrlSchema = z.url({ protocol: /^https$/ });

/**
 * One documented behaviour of a provider: either `known`, with its value and the documentation page
 * that states it, or explicitly unknown, saying why (and optionally which page was read and is
 * silent). A value that did not come from the provider's own documentation says so with
 * `third_party: true`.
 */
export const factSchema = <T extends z.ZodType>(value: T) =>
  z.discriminatedUnion('known', [
    z
      .object({
        known: z.literal(true),
        value,
        source: sourceUrlSchema,
        third_party: z.literal(true).optional(),
        note: z.string().min(1).optional(),
      })
      .strict(),
    z
      .object({
        known: z.literal(false),
        note: z.string().min(1),
        checked: sourceUrlSchema.optional(),
      })
      .strict(),
  ]);

/**
 * Whether a token response carries the access token's lifetime:
 * `always`, `on_request` (only when the request asks for one, e.g. Zendesk's `expires_in`),
 * `absent` (never; the lifetime must be derived), `never_expires` (access tokens do not expire),
 * `expires_at` (an absolute time instead of `expires_in`).
 */
export const expiresInSchema = z.enum(['always', 'on_request', 'absent', 'never_expires', 'expires_at']);

const seconds = z.number().int().positive();

/**
 * The behaviours the catalogue documents per provider (api.md "Additions (v1.1)", the
 * `GET /v1/providers` fields), each sourced or explicitly unknown.
 * - `reuse_grace_seconds`: `null` = not applicable (refresh tokens do not rotate).
 * - `grant_lifetime_seconds`: the grant's hard end counted from authorization; `null` = none.
 * - `refresh_token_idle_seconds`: a refresh token dies after this long unused; `null` = never.
 */
export const providerBehavioursSchema = z
  .object({
    token_url: factSchema(z.string().min(1)),
    client_auth: factSchema(clientAuthSchema),
    refresh_params: factSchema(z.record(z.string(), z.string())),
    rotates_refresh_token: factSchema(z.boolean()),
    reuse_grace_seconds: factSchema(z.number().int().nonnegative().nullable()),
    grant_lifetime_seconds: factSchema(seconds.nullable()),
    refresh_token_idle_seconds: factSchema(seconds.nullable()),
    expires_in: factSchema(expiresInSchema),
  })
  .strict();
export type ProviderBehaviours = z.infer<typeof providerBehavioursSchema>;
export type BehaviourName = keyof ProviderBehaviours;
export const BEHAVIOUR_NAMES = Object.keys(providerBehavioursSchema.shape) as BehaviourName[];

/** A response or flow quirk worth knowing before integrating, with the page that states it. */
export const quirkSchema = z
  .object({
    text: z.string().min(1),
    source: sourceUrlSchema,
    third_party: z.literal(true).optional(),
  })
  .strict();
export type Quirk = z.infer<typeof quirkSchema>;

/**
 * A provider's refresh behaviour, as the catalogue models it (catalogue.ts): what the service does.
 * `{name}` placeholders in URLs are filled from the integration's `url_params` or the connection's
 * `metadata` (e.g. `{tenant}`, `{subdomain}`, `{shop}`, `{dc}`).
 *
 * Its documentation, {@link providerDocsSchema}, is a second layer kept apart (catalogue-docs.ts)
 * so that the functions refreshing tokens load only this one. Where a behaviour is unknown the
 * flat field holds the conservative assumption (rotation, no grace), see catalogue.ts. The
 * cross-field rules of {@link documentedProviderSchema} tie both layers together so a flat field
 * never contradicts a documented fact.
 */
export const providerDefinitionSchema = z
  .object({
    key: z.string().regex(/^[a-z][a-z0-9_-]*$/),
    display_name: z.string().min(1),
    token_url: z.string().min(1).nullable(),
    authorization_url: z.string().min(1).nullable(),
    client_auth: clientAuthSchema,
    /** Extra form parameters sent with every refresh grant. */
    refresh_params: z.record(z.string(), z.string()),
    /** Default values for URL placeholders (e.g. Microsoft's `tenant` = `common`). */
    url_param_defaults: z.record(z.string(), z.string()),
    default_scopes: z.array(z.string()),
    /** Extra authorization-URL parameters needed to obtain a refresh token. */
    authorization_params: z.record(z.string(), z.string()),
    /** The provider issues a new refresh token on refresh and the old one stops working. */
    rotates_refresh_token: z.boolean(),
    /**
     * How long the previous refresh token stays usable after a rotation (0 = strict: reuse revokes
     * the grant, RFC 9700 §4.14.2). `null` for non-rotating providers (reuse is always fine).
     */
    reuse_grace_seconds: z.number().int().nonnegative().nullable(),
    /** Refresh tokens die after this long unused; drives the keep-alive. `null` = unknown / none. */
    refresh_token_idle_seconds: seconds.nullable(),
    /** The grant's hard end, counted from authorization, that no refresh moves. `null` = unknown / none. */
    grant_lifetime_seconds: seconds.nullable(),
    expiry_fallback: expiryFallbackSchema,
    /** Errors arrive as HTTP 200 with `{"ok": false, "error"}` (Slack) or `{"error"}` (GitHub). */
    errors_in_200_body: z.boolean(),
    /** Dotted path to the token object inside the response, e.g. Slack's `authed_user`. */
    token_path: z.string().nullable(),
    /** Send `Accept: application/json` (GitHub answers form-encoded otherwise). */
    accept_json_header: z.boolean(),
    /** Send the grant as a JSON body instead of form-urlencoded (Notion). */
    json_body: z.boolean(),
    /**
     * Dotted paths of the code exchange's answer that name the provider account (Slack's `team.id`
     * and `authed_user.id`, Dropbox's `account_id`): the connection's `account_id` where the answer
     * has no ID token. Absent: only an ID token identifies the account.
     */
    account_id_fields: z
      .array(z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/))
      .min(1)
      .max(4)
      .optional(),
  })
  .strict();
export type ProviderDefinition = z.infer<typeof providerDefinitionSchema>;

/**
 * A provider's documentation (catalogue-docs.ts): `behaviours` and `quirks` are what the provider's
 * documentation says (or an explicit unknown), with the pages that say it.
 */
export const providerDocsSchema = z
  .object({
    /** Operator notes: placeholders (`name: ...`), modelling choices. Not a source of facts. */
    notes: z.string(),
    behaviours: providerBehavioursSchema,
    quirks: z.array(quirkSchema),
  })
  .strict();
export type ProviderDocs = z.infer<typeof providerDocsSchema>;

/** A catalogue entry with its documentation, and the cross-field rules of {@link definitionProblems}. */
export const documentedProviderSchema = providerDefinitionSchema
  .extend(providerDocsSchema.shape)
  .superRefine((d, ctx) => {
    for (const problem of definitionProblems(d)) {
      ctx.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
    }
  });
export type DocumentedProvider = ProviderDefinition & ProviderDocs;

interface DefinitionProblem {
  readonly path: readonly string[];
  readonly message: string;
}

/**
 * The rules that keep the service's behaviour (flat fields) consistent with the documented one
 * (`behaviours`): a documented value is used as documented, except that a reuse grace may be
 * modelled shorter than documented (never longer: re-sending a spent token outside the grace can
 * revoke the grant). Unknown behaviours leave the flat field free (the catalogue's conservative
 * assumption). Every entry names at least one documentation page.
 */
export function definitionProblems(d: DocumentedProvider): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const b = d.behaviours;
  const mismatch = (name: string, flat: unknown, documented: unknown) =>
    problems.push({
      path: ['behaviours', name],
      message: `${name} is documented as ${JSON.stringify(documented)} but the entry uses ${JSON.stringify(flat)}`,
    });
  if (b.token_url.known && b.token_url.value !== d.token_url)
    mismatch('token_url', d.token_url, b.token_url.value);
  if (b.client_auth.known && b.client_auth.value !== d.client_auth)
    mismatch('client_auth', d.client_auth, b.client_auth.value);
  if (b.rotates_refresh_token.known && b.rotates_refresh_token.value !== d.rotates_refresh_token)
    mismatch('rotates_refresh_token', d.rotates_refresh_token, b.rotates_refresh_token.value);
  if (b.refresh_params.known) {
    for (const [name, value] of Object.entries(b.refresh_params.value)) {
      if (d.refresh_params[name] !== value) mismatch(`refresh_params.${name}`, d.refresh_params[name], value);
    }
  }
  if (d.rotates_refresh_token && b.reuse_grace_seconds.known) {
    const documented = b.reuse_grace_seconds.value;
    if (documented !== null && (d.reuse_grace_seconds ?? 0) > documented)
      mismatch('reuse_grace_seconds', d.reuse_grace_seconds, documented);
  }
  const idle = b.refresh_token_idle_seconds.known ? b.refresh_token_idle_seconds.value : null;
  if (idle !== d.refresh_token_idle_seconds)
    mismatch('refresh_token_idle_seconds', d.refresh_token_idle_seconds, idle);
  const grant = b.grant_lifetime_seconds.known ? b.grant_lifetime_seconds.value : null;
  if (grant !== d.grant_lifetime_seconds) mismatch('grant_lifetime_seconds', d.grant_lifetime_seconds, grant);
  if (b.expires_in.known && b.expires_in.value === 'never_expires' && d.expiry_fallback !== 'non_expiring')
    mismatch('expires_in', d.expiry_fallback, b.expires_in.value);
  if (sourcesOf(d).length === 0)
    problems.push({ path: ['behaviours'], message: 'an entry needs at least one documentation source' });
  return problems;
}

/** Every documentation page an entry cites, each once, in order of first use. */
export function sourcesOf(d: Pick<ProviderDocs, 'behaviours' | 'quirks'>): string[] {
  const urls = new Set<string>();
  for (const name of BEHAVIOUR_NAMES) {
    const fact = d.behaviours[name];
    if (fact.known) urls.add(fact.source);
  }
  for (const quirk of d.quirks) urls.add(quirk.source);
  return [...urls];
}
