import pLimit from 'p-limit';
import type { IntegrationConfig } from '../../domain/integration';
import { isServiceError } from '../../errors';
import { placeholdersOf, placeholderValueProblem } from '../../oauth/placeholders';
import { assertUrlAllowed } from '../../policy/ssrf';
import { PROVIDERS } from '../../providers/catalogue';
import { saveIntegration } from '../../refresh/save-integration';
import type { ApiDeps } from '../deps';
import { ApiError, invalidRequest, notFound, type ValidationProblem } from '../errors';
import { type AnyRoute, type RouteDef, route } from '../route';
import { errorEnvelopeSchema, integrationParamsSchema } from '../schemas/common';
import { integrationInputSchema, integrationListSchema, integrationSchema } from '../schemas/integrations';
import { errorResponses } from '../schemas/responses';
import { integrationView } from '../views';
import { retryIntegrationConnections } from './integration-retry';

const apiRoute = <P, Q, B>(def: RouteDef<ApiDeps, P, Q, B>) => route(def);
const PATH = '/v1/integrations/{integration_id}';
const TAGS = ['integrations'];

/** api.md "Integrations": create or replace, read, list, delete. Admin scope throughout. */
export const integrationRoutes: readonly AnyRoute<ApiDeps>[] = [
  apiRoute({
    operationId: 'putIntegration',
    summary: 'Create or replace an integration',
    tags: TAGS,
    method: 'PUT',
    path: PATH,
    auth: 'admin',
    params: integrationParamsSchema,
    body: integrationInputSchema,
    responses: {
      200: { description: 'Replaced', schema: integrationSchema },
      201: { description: 'Created', schema: integrationSchema },
      409: {
        description:
          'conflict: the change would move existing connections to another provider, client or token endpoint',
        schema: errorEnvelopeSchema,
      },
    },
    handle: async ({ deps, params, body, remainingTimeMs }) => {
      const id = params.integration_id;
      const { client_secret: clientSecret, ...config } = body;
      assertUrlsAllowed(deps, config);
      assertUrlParamsValid(config);
      const existing = await deps.integrationStore.get(id);
      if (existing !== null) {
        const changed = grantBindingChanges(existing.config, config);
        if (changed.length > 0 && (await deps.integrationStore.hasConnections(id))) {
          throw new ApiError(
            409,
            'conflict',
            `integration ${id} has connections, whose grants belong to its current ${changed.join(', ')}: ` +
              'create a new integration with the new settings and reconnect its connections there ' +
              '(POST /v1/connect-sessions), then delete the old ones. A new client_secret or other settings can be changed in place.',
            { changed },
          );
        }
      }
      const { created, integration } = await saveIntegration(deps, id, config, clientSecret);
      // New client credentials may be the fix for connections a misconfiguration holds: bring them
      // back now rather than at their next backoff (they never needed their users).
      if (!created && clientSecret !== undefined)
        await retryIntegrationConnections(deps, id, remainingTimeMs);
      return { status: created ? 201 : 200, body: integrationView(integration) };
    },
  }),
  apiRoute({
    operationId: 'getIntegration',
    summary: 'Read an integration',
    tags: TAGS,
    method: 'GET',
    path: PATH,
    auth: 'admin',
    params: integrationParamsSchema,
    responses: {
      200: { description: 'The integration', schema: integrationSchema },
      ...errorResponses(404),
    },
    handle: async ({ deps, params }) => {
      const stored = await deps.integrationStore.get(params.integration_id);
      if (stored === null) throw notFound(`integration ${params.integration_id}`);
      return { status: 200, body: integrationView(stored) };
    },
  }),
  apiRoute({
    operationId: 'listIntegrations',
    summary: 'List every integration (ordered by id)',
    tags: TAGS,
    method: 'GET',
    path: '/v1/integrations',
    auth: 'admin',
    responses: {
      200: { description: 'All integrations', schema: integrationListSchema },
    },
    handle: async ({ deps }) => {
      const ids = await deps.integrationStore.listIds();
      // Each through the store's own (consistent) read and decoding; a bounded fan-out.
      const limit = pLimit(16);
      const stored = await Promise.all(ids.map((id) => limit(() => deps.integrationStore.get(id))));
      const items = stored.flatMap((s) => (s === null ? [] : [integrationView(s)]));
      return { status: 200, body: { items } };
    },
  }),
  apiRoute({
    operationId: 'deleteIntegration',
    summary: 'Delete an integration that has no connections',
    tags: TAGS,
    method: 'DELETE',
    path: PATH,
    auth: 'admin',
    params: integrationParamsSchema,
    responses: {
      204: { description: 'Deleted' },
      ...errorResponses(404),
      409: { description: 'conflict: the integration still has connections', schema: errorEnvelopeSchema },
    },
    handle: async ({ deps, params }) => {
      const id = params.integration_id;
      if (await deps.integrationStore.hasConnections(id)) {
        throw new ApiError(409, 'conflict', `integration ${id} still has connections; delete them first`);
      }
      const deleted = await deps.integrationStore.delete(id);
      deps.integrations.invalidate(id);
      if (!deleted) throw notFound(`integration ${id}`);
      return { status: 204 };
    },
  }),
];

/**
 * What binds a connection's grant to its integration: the provider, the OAuth client, the token
 * endpoint (the URL as resolved, and the `url_params` values that fill it) and the placeholders
 * the authorization URL asks connections for. Returns the names of those that differ.
 */
export function grantBindingChanges(before: IntegrationConfig, after: IntegrationConfig): string[] {
  const tokenUrl = (c: IntegrationConfig) => c.token_url ?? providerDefaults(c.provider)?.token_url ?? null;
  const authorizationUrl = (c: IntegrationConfig) =>
    c.authorization_url ?? providerDefaults(c.provider)?.authorization_url ?? null;
  const fills = (c: IntegrationConfig) => {
    const params = { ...providerDefaults(c.provider)?.url_param_defaults, ...c.url_params };
    return JSON.stringify(placeholdersOf(tokenUrl(c)).map((name) => [name, params[name] ?? null]));
  };
  const asked = (c: IntegrationConfig) =>
    JSON.stringify(placeholdersOf(tokenUrl(c), authorizationUrl(c)).sort());
  const changed: string[] = [];
  if (before.provider !== after.provider) changed.push('provider');
  if (before.client_id !== after.client_id) changed.push('client_id');
  if (tokenUrl(before) !== tokenUrl(after)) changed.push('token_url');
  else if (fills(before) !== fills(after)) changed.push('url_params');
  if (asked(before) !== asked(after)) changed.push('URL placeholders');
  return changed;
}

function providerDefaults(provider: string) {
  return Object.hasOwn(PROVIDERS, provider) ? PROVIDERS[provider] : undefined;
}

/** `url_params` values for the URLs' placeholders follow the same rules as connection metadata. */
function assertUrlParamsValid(config: IntegrationConfig): void {
  const defaults = providerDefaults(config.provider);
  const used = new Set(
    placeholdersOf(
      config.token_url ?? defaults?.token_url,
      config.authorization_url ?? defaults?.authorization_url,
    ),
  );
  const problems: ValidationProblem[] = [];
  for (const [name, value] of Object.entries(config.url_params ?? {})) {
    if (!used.has(name)) continue;
    const problem = placeholderValueProblem(name, value);
    if (problem !== null) problems.push({ path: `body.url_params.${name}`, message: problem });
  }
  if (problems.length > 0) throw invalidRequest('invalid url_params', problems);
}

const URL_FIELDS = ['token_url', 'authorization_url', 'webhook_url'] as const;

/**
 * SSRF guard (reliability.md promise 14) on the URLs an integration configures: https only and no
 * literal private, loopback or link-local host, unless `ALLOW_PRIVATE_URLS`. `{placeholders}` are
 * filled with a harmless value here; the refresh path checks the filled URL again at connect time.
 * Catalogue defaults are not checked: they are ours.
 * @throws ApiError 400 `invalid_request` naming each refused field
 */
function assertUrlsAllowed(deps: Pick<ApiDeps, 'config'>, config: IntegrationConfig): void {
  const problems: ValidationProblem[] = [];
  for (const field of URL_FIELDS) {
    const value = config[field];
    if (value === undefined) continue;
    try {
      assertUrlAllowed(value.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, 'x'), {
        allowPrivate: deps.config.allowPrivateUrls,
      });
    } catch (error) {
      if (!isServiceError(error)) throw error;
      problems.push({ path: `body.${field}`, message: error.message });
    }
  }
  if (problems.length > 0) throw invalidRequest('URL not allowed', problems);
}
