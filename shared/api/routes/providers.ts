import { DOCUMENTED_PROVIDERS } from '../../providers/catalogue-docs';
import { defaultKeepaliveSeconds } from '../../providers/resolve';
import { BEHAVIOUR_NAMES, type DocumentedProvider, sourcesOf } from '../../providers/schema';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { type AnyRoute, type RouteDef, route } from '../route';
import { errorEnvelopeSchema } from '../schemas/common';
import {
  type ProviderView,
  providerListSchema,
  providerParamsSchema,
  providerSchema,
} from '../schemas/providers';

const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);
const TAGS = ['providers'];
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * api.md "Additions (v1.1)": the provider catalogue, so users see what the service knows before
 * registering an integration. Any valid key (the least privileged scope, `tokens:read`, will do).
 */
export const providerRoutes: readonly AnyRoute<ApiDeps>[] = [
  apiRoute({
    operationId: 'listProviders',
    summary: 'The provider catalogue with each documented behaviour and its source',
    tags: TAGS,
    method: 'GET',
    path: '/v1/providers',
    auth: 'tokens:read',
    responses: {
      200: { description: 'Every catalogue provider, ordered by key', schema: providerListSchema },
    },
    handle: async () => ({ status: 200, body: { items: PROVIDER_VIEWS } }),
  }),
  apiRoute({
    operationId: 'getProvider',
    summary: 'One catalogue provider with each documented behaviour and its source',
    tags: TAGS,
    method: 'GET',
    path: '/v1/providers/{provider}',
    auth: 'tokens:read',
    params: providerParamsSchema,
    responses: {
      200: { description: 'The provider', schema: providerSchema },
      404: { description: 'not_found: unknown provider', schema: errorEnvelopeSchema },
    },
    handle: async ({ params }) => {
      const view = Object.hasOwn(VIEWS_BY_KEY, params.provider) ? VIEWS_BY_KEY[params.provider] : undefined;
      if (view === undefined) throw notFound(`provider ${params.provider}`);
      return { status: 200, body: view };
    },
  }),
];

/** A catalogue entry as api.md shows it: documented behaviours, `null` where the docs are silent. */
export function providerView(d: DocumentedProvider): ProviderView {
  const b = d.behaviours;
  const documented = <T>(fact: { known: true; value: T } | { known: false }): T | null =>
    fact.known ? fact.value : null;
  const names = new Set<string>();
  for (const url of [d.token_url, d.authorization_url])
    for (const match of (url ?? '').matchAll(PLACEHOLDER)) if (match[1] !== undefined) names.add(match[1]);
  return {
    provider: d.key,
    display_name: d.display_name,
    token_url: d.token_url,
    authorization_url: d.authorization_url,
    client_auth: d.client_auth,
    rotates_refresh_token: documented(b.rotates_refresh_token),
    reuse_grace_seconds: documented(b.reuse_grace_seconds),
    grant_lifetime_seconds: documented(b.grant_lifetime_seconds),
    refresh_token_idle_seconds: documented(b.refresh_token_idle_seconds),
    quirks: d.quirks.map((q) => q.text),
    sources: sourcesOf(d),
    behaviours: Object.fromEntries(
      BEHAVIOUR_NAMES.map((name) => {
        const fact = b[name];
        return [
          name,
          fact.known
            ? {
                known: true,
                value: fact.value,
                source: fact.source,
                third_party: fact.third_party === true,
                note: fact.note ?? null,
              }
            : { known: false, value: null, source: null, third_party: false, note: fact.note },
        ];
      }),
    ) as ProviderView['behaviours'],
    quirk_sources: d.quirks.map((q) => ({
      text: q.text,
      source: q.source,
      third_party: q.third_party === true,
    })),
    assumed: {
      rotates_refresh_token: d.rotates_refresh_token,
      reuse_grace_seconds: d.reuse_grace_seconds,
      keepalive_seconds: defaultKeepaliveSeconds(d),
    },
    url_params: [...names].map((name) => ({ name, default: d.url_param_defaults[name] ?? null })),
    default_scopes: [...d.default_scopes],
    authorization_params: { ...d.authorization_params },
    refresh_params: { ...d.refresh_params },
  };
}

// The catalogue is frozen: its views are built once per process.
const PROVIDER_VIEWS: readonly ProviderView[] = Object.keys(DOCUMENTED_PROVIDERS)
  .sort()
  .flatMap((key) => {
    const definition = DOCUMENTED_PROVIDERS[key];
    return definition === undefined ? [] : [providerView(definition)];
  });
const VIEWS_BY_KEY: Readonly<Record<string, ProviderView>> = Object.fromEntries(
  PROVIDER_VIEWS.map((view) => [view.provider, view]),
);
