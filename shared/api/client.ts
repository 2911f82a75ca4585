/**
 * A typed client for the HTTP API (api.md), for apps that call the service:
 *
 *   const api = createApiClient({ baseUrl: 'https://...', apiKey: process.env.OAUTH_REFRESHER_KEY });
 *   const { access_token } = await api.getToken('google-prod', 'user-42', { min_validity_seconds: 300 });
 *
 * Types come from the zod schemas the server validates with, imported as types only: the client
 * pulls in neither zod nor any server code, and does not re-validate answers at run time.
 */
import type * as z from 'zod';
import type { apiKeyListSchema, createApiKeySchema, createdApiKeySchema } from './schemas/api-keys';
import type { healthSchema } from './schemas/common';
import type { connectSessionSchema, createConnectSessionSchema } from './schemas/connect';
import type {
  connectionInputSchema,
  connectionListQuerySchema,
  connectionListSchema,
  connectionSchema,
} from './schemas/connections';
import type { connectionBatchInputSchema, connectionBatchOutputSchema } from './schemas/connections-batch';
import type { historyPageSchema, historyQuerySchema, integrationHealthSchema } from './schemas/history';
import type {
  integrationInputSchema,
  integrationListSchema,
  integrationSchema,
} from './schemas/integrations';
import type { providerListSchema, providerSchema } from './schemas/providers';
import type { integrationRetrySchema } from './schemas/retry';
import type { accessTokenSchema, tokenQuerySchema } from './schemas/token';

export type Health = z.output<typeof healthSchema>;
export type IntegrationRetry = z.output<typeof integrationRetrySchema>;
export type IntegrationInput = z.input<typeof integrationInputSchema>;
export type Integration = z.output<typeof integrationSchema>;
export type IntegrationList = z.output<typeof integrationListSchema>;
export type ConnectionInput = z.input<typeof connectionInputSchema>;
export type Connection = z.output<typeof connectionSchema>;
export type ConnectionList = z.output<typeof connectionListSchema>;
export type ConnectionBatchInput = z.input<typeof connectionBatchInputSchema>;
export type ConnectionBatchOutput = z.output<typeof connectionBatchOutputSchema>;
export type AccessToken = z.output<typeof accessTokenSchema>;
export type ConnectSessionInput = z.input<typeof createConnectSessionSchema>;
export type ConnectSession = z.output<typeof connectSessionSchema>;
export type Provider = z.output<typeof providerSchema>;
export type ProviderList = z.output<typeof providerListSchema>;
export type ApiKeyInput = z.input<typeof createApiKeySchema>;
export type CreatedApiKey = z.output<typeof createdApiKeySchema>;
export type ApiKeyList = z.output<typeof apiKeyListSchema>;
export type ApiKey = ApiKeyList['items'][number];
export type HistoryPage = z.output<typeof historyPageSchema>;
export type HistoryItem = HistoryPage['items'][number];
export type HistoryQuery = Omit<z.input<typeof historyQuerySchema>, 'limit'> & { readonly limit?: number };
export type IntegrationHealth = z.output<typeof integrationHealthSchema>;

// Query values travel as strings; the server coerces them, so the client takes their natural types.
export type TokenQuery = {
  readonly min_validity_seconds?: z.output<typeof tokenQuerySchema>['min_validity_seconds'];
  readonly force_refresh?: boolean | z.input<typeof tokenQuerySchema>['force_refresh'];
};
export type ConnectionListQuery = Omit<z.input<typeof connectionListQuerySchema>, 'limit'> & {
  readonly limit?: number;
};

/** A non-2xx answer (api.md error envelope), or `status: 0` when no answer arrived. */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(
    readonly status: number,
    /** api.md code (`not_found`, `reauth_required`, ...); `network_error` or `http_error` otherwise. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** From `Retry-After` on 503 answers. */
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ApiClientOptions {
  /** The API's base URL (local: `http://127.0.0.1:4000`; AWS: the stack's API URL). */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
}

/** Creates a client; every method throws {@link ApiClientError} for anything but a 2xx answer. */
export function createApiClient(options: ApiClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;

  async function call<T>(method: string, path: string, body?: unknown, query?: object): Promise<T> {
    const url = `${base}${path}${queryString(query)}`;
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method,
        headers: {
          authorization: `Bearer ${options.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiClientError(0, 'network_error', `${method} ${path}: no answer`, undefined, undefined, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) throw toError(method, path, response, text);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  const integration = (id: string) => `/v1/integrations/${encodeURIComponent(id)}`;
  const connection = (iid: string, cid: string) =>
    `${integration(iid)}/connections/${encodeURIComponent(cid)}`;

  return {
    getHealth: () => call<Health>('GET', '/health'),
    /** Creates or replaces an integration. */
    putIntegration: (integrationId: string, body: IntegrationInput) =>
      call<Integration>('PUT', integration(integrationId), body),
    getIntegration: (integrationId: string) => call<Integration>('GET', integration(integrationId)),
    listIntegrations: () => call<IntegrationList>('GET', '/v1/integrations'),
    /** 409 `conflict` while the integration still has connections. */
    deleteIntegration: (integrationId: string) => call<void>('DELETE', integration(integrationId)),
    /** Imports or replaces credentials obtained elsewhere. */
    putConnection: (integrationId: string, connectionId: string, body: ConnectionInput) =>
      call<Connection>('PUT', connection(integrationId, connectionId), body),
    /** Imports up to 100 connections (api.md v1.1); each item gets its own status (200, 201 or 4xx). */
    importConnections: (integrationId: string, body: ConnectionBatchInput) =>
      call<ConnectionBatchOutput>('POST', `${integration(integrationId)}/connections/batch`, body),
    getConnection: (integrationId: string, connectionId: string) =>
      call<Connection>('GET', connection(integrationId, connectionId)),
    /** The hot path: an access token valid for at least `min_validity_seconds` (424 when re-auth is needed). */
    getToken: (integrationId: string, connectionId: string, query: TokenQuery = {}) =>
      call<AccessToken>('GET', `${connection(integrationId, connectionId)}/token`, undefined, query),
    refreshConnection: (integrationId: string, connectionId: string) =>
      call<Connection>('POST', `${connection(integrationId, connectionId)}/refresh`),
    /** Retry a `needs_reauth` connection whose refresh token the provider never rejected (409 otherwise). */
    retryConnection: (integrationId: string, connectionId: string) =>
      call<Connection>('POST', `${connection(integrationId, connectionId)}/retry`),
    /** Make the connections a misconfigured client holds due now (after fixing the integration). */
    retryIntegration: (integrationId: string) =>
      call<IntegrationRetry>('POST', `${integration(integrationId)}/retry`),
    /** Recent attempts, transitions (with event delivery), imports and token reads, newest first (api.md v1.1). */
    getConnectionHistory: (integrationId: string, connectionId: string, query: HistoryQuery = {}) =>
      call<HistoryPage>('GET', `${connection(integrationId, connectionId)}/history`, undefined, query),
    /** Admin scope: counts by status, failures by code over 24 h, next due time, latency, reauth due. */
    getIntegrationHealth: (integrationId: string) =>
      call<IntegrationHealth>('GET', `${integration(integrationId)}/health`),
    deleteConnection: (integrationId: string, connectionId: string) =>
      call<void>('DELETE', connection(integrationId, connectionId)),
    /** One page; pass `next_cursor` back as `cursor` for the next. */
    listConnections: (query: ConnectionListQuery = {}) =>
      call<ConnectionList>('GET', '/v1/connections', undefined, query),
    createConnectSession: (body: ConnectSessionInput) =>
      call<ConnectSession>('POST', '/v1/connect-sessions', body),
    /** The provider catalogue: each documented behaviour with its source (any key). */
    listProviders: () => call<ProviderList>('GET', '/v1/providers'),
    /** One catalogue provider; 404 `not_found` for an unknown one. */
    getProvider: (provider: string) => call<Provider>('GET', `/v1/providers/${encodeURIComponent(provider)}`),
    /** Admin scope. The answer's `api_key` is the only time the key is shown. */
    createApiKey: (body: ApiKeyInput) => call<CreatedApiKey>('POST', '/v1/api-keys', body),
    /** Every active key, the configured admin key included (never the keys themselves). */
    listApiKeys: () => call<ApiKeyList>('GET', '/v1/api-keys'),
    /** 409 `conflict` for the calling key itself and for the configured admin key. */
    deleteApiKey: (keyId: string) => call<void>('DELETE', `/v1/api-keys/${encodeURIComponent(keyId)}`),
  };
}

/** The client's type, for code that receives one (e.g. a mock in an app's tests). */
export type ApiClient = ReturnType<typeof createApiClient>;

function queryString(query: object | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== null) params.set(name, String(value));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

function toError(method: string, path: string, response: Response, text: string): ApiClientError {
  const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
  const retryAfterSeconds = Number.isFinite(retryAfter) ? retryAfter : undefined;
  let envelope: { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined;
  try {
    envelope = JSON.parse(text);
  } catch {
    envelope = undefined;
  }
  const error = envelope?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string')
    return new ApiClientError(response.status, error.code, error.message, error.details, retryAfterSeconds);
  // Not the service's envelope (a proxy, a gateway timeout): keep the status, not the body.
  return new ApiClientError(
    response.status,
    'http_error',
    `${method} ${path}: HTTP ${response.status}`,
    undefined,
    retryAfterSeconds,
  );
}
