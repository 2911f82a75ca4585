import type * as z from 'zod';
import { isServiceError } from '../../errors';
import { buildAuthorizationUrl, codeChallengeS256, exchangeAuthorizationCode } from '../../oauth/code';
import { checkIdTokenSignature } from '../../oauth/id-token-signature';
import { accountIdentity } from '../../oauth/identity';
import { resolvePlaceholders } from '../../oauth/placeholders';
import type { ConnectSession } from '../../ports/connect-sessions';
import { importCredentials } from '../../refresh/import-credentials';
import type { ApiDeps } from '../deps';
import { ApiError, invalidRequest } from '../errors';
import { placeholderValuesOrThrow } from '../placeholders';
import { type AnyRoute, type ApiResult, route } from '../route';
import { errorEnvelopeSchema } from '../schemas/common';
import {
  connectSessionSchema,
  createConnectSessionSchema,
  oauthCallbackQuerySchema,
} from '../schemas/connect';

/**
 * api.md "Re-authorization (connect) flow". `POST /v1/connect-sessions` starts an authorization
 * code flow with PKCE and `state`; `GET /v1/oauth/callback` (no API key: the single-use state
 * authenticates it) exchanges the code, stores the credentials (the connection becomes `active`;
 * one that was `failing`/`needs_reauth` emits `connection.reauthorized`) and sends the end user
 * back to the session's `redirect_uri` with `connection_id` and `status=success`, or
 * `status=error&error=<code>`, or shows a small page when the session has no `redirect_uri`.
 *
 * Callback `error` values: `invalid_state` (unknown, used or expired; a page, since there is no
 * session to redirect to), `invalid_request` (no `code`), the provider's own authorization error
 * (`access_denied`, ...; `provider_error` when it is not a plain code), `exchange_failed` (the
 * token endpoint refused or failed; details are logged), `account_mismatch` (api.md v1.1: the
 * provider account that authorized differs from the connection's `account_id` and the integration
 * does not set `allow_account_change`; the stored grant is untouched), `invalid_id_token` (the answer
 * carried an ID token without a usable `iss`/`sub`/`aud`), `server_error` (storage or keyring).
 * The callback never answers 5xx for bad input and never shows or forwards a token or the code.
 */
export const connectRoutes: readonly AnyRoute<ApiDeps>[] = [
  route<ApiDeps, undefined, undefined, z.output<typeof createConnectSessionSchema>>({
    operationId: 'createConnectSession',
    summary: 'Start a connect (re-authorization) flow for a connection',
    tags: ['connect'],
    method: 'POST',
    path: '/v1/connect-sessions',
    auth: 'admin',
    body: createConnectSessionSchema,
    responses: {
      201: { description: 'Send the end user to authorization_url', schema: connectSessionSchema },
      400: {
        description: 'Invalid body or redirect_uri, or no authorization_url',
        schema: errorEnvelopeSchema,
      },
      404: { description: 'Unknown integration', schema: errorEnvelopeSchema },
    },
    handle: async ({ deps, body }) => {
      const redirectUri =
        body.redirect_uri === undefined ? undefined : checkRedirectUri(body.redirect_uri, deps.config);
      const { integration } = await deps.integrations.get(body.integration_id);
      if (integration.authorizationUrl === null) {
        throw invalidRequest(`integration ${body.integration_id} has no authorization_url`, [
          { path: 'body.integration_id', message: 'the integration has no authorization_url' },
        ]);
      }
      const key = { integrationId: body.integration_id, connectionId: body.connection_id };
      // The metadata the connection will have: the body's, else what it already has.
      const metadata = body.metadata ?? (await deps.store.get(key))?.metadata;
      // 400 naming each missing or malformed placeholder, for the token URL as well: a session whose
      // code exchange is bound to fail must not start.
      const urlParams = placeholderValuesOrThrow({
        templates: [integration.tokenUrl, integration.authorizationUrl],
        urlParams: integration.urlParams,
        metadata,
      });
      const url = { redirectUri: callbackUri(deps.config), urlParams };
      buildAuthorizationUrl(integration, { ...url, state: 'check', codeChallenge: 'check' });
      const session = await deps.sessions.create({
        ...key,
        ...(redirectUri === undefined ? {} : { redirectUri }),
        ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
      });
      const authorizationUrl = buildAuthorizationUrl(integration, {
        ...url,
        state: session.state,
        codeChallenge: codeChallengeS256(session.codeVerifier),
      });
      return {
        status: 201,
        body: {
          authorization_url: authorizationUrl,
          state: session.state,
          expires_at: new Date(session.expiresAt).toISOString(),
        },
      };
    },
  }),

  route<ApiDeps, undefined, CallbackQuery>({
    operationId: 'oauthCallback',
    summary: 'The OAuth redirect URI to register with providers: `$PUBLIC_URL/v1/oauth/callback`',
    tags: ['connect'],
    method: 'GET',
    path: '/v1/oauth/callback',
    auth: 'public',
    query: oauthCallbackQuerySchema,
    responses: {
      200: { description: 'Connected (HTML page; the session had no redirect_uri)' },
      302: {
        description:
          "Back to the session's redirect_uri with connection_id and status=success, or status=error&error=<code>: the provider's error, invalid_request, exchange_failed, invalid_id_token, account_mismatch (another provider account authorized; the stored grant is untouched) or server_error",
      },
      400: { description: 'Invalid, used or expired state, or the flow failed (HTML page)' },
      503: { description: 'Storage unavailable (HTML page)' },
    },
    handle: async ({ deps, query }) => {
      let session: ConnectSession | null;
      try {
        session = await deps.sessions.consume(query.state ?? '');
      } catch (error) {
        logFailure(deps, 'connect callback: session lookup failed', error);
        return page(503, { error: 'server_error' });
      }
      if (session === null) return page(400, { error: 'invalid_state' });
      const { error, unavailable } = await complete(deps, session, query);
      if (session.redirectUri !== null) return redirect(session.redirectUri, session.connectionId, error);
      // 503 only for our own storage/keyring failure: a provider's `error=server_error` is its problem.
      const status = error === undefined ? 200 : unavailable === true ? 503 : 400;
      return page(status, { ...(error === undefined ? {} : { error }), connectionId: session.connectionId });
    },
  }),
];

type CallbackQuery = z.output<typeof oauthCallbackQuerySchema>;
/** `unavailable`: the failure was this service's (storage, keyring), not the provider's or the request's. */
type Outcome = { readonly error?: string; readonly unavailable?: boolean };

/** Exchanges the code and stores the credentials; every failure is an `error` value, never a throw. */
async function complete(deps: ApiDeps, session: ConnectSession, query: CallbackQuery): Promise<Outcome> {
  const ids = { integration_id: session.integrationId, connection_id: session.connectionId };
  if (query.error !== undefined) {
    const error = /^[A-Za-z0-9_.-]{1,64}$/.test(query.error) ? query.error : 'provider_error';
    deps.logger.info('connect callback: the provider reported an error', { ...ids, provider_error: error });
    return { error };
  }
  if (query.code === undefined || query.code === '' || query.code.length > 4_096) {
    return { error: 'invalid_request' };
  }
  try {
    const { integration, clientSecret } = await deps.integrations.get(session.integrationId);
    const key = { integrationId: session.integrationId, connectionId: session.connectionId };
    const placeholders = resolvePlaceholders({
      templates: [integration.tokenUrl],
      urlParams: integration.urlParams,
      metadata: session.metadata ?? (await deps.store.get(key))?.metadata,
    });
    if (!placeholders.ok) {
      // Checked when the session was created; only an integration changed since gets here.
      deps.logger.warn('connect callback: the token URL placeholders cannot be filled', {
        ...ids,
        placeholders: placeholders.problems.map((p) => p.placeholder).join(','),
      });
      return { error: 'invalid_request' };
    }
    const outcome = await exchangeAuthorizationCode(
      deps.tokenEndpoint,
      {
        integration,
        clientSecret,
        code: query.code,
        codeVerifier: session.codeVerifier,
        redirectUri: callbackUri(deps.config),
        urlParams: placeholders.values,
        now: deps.clock.now(),
      },
      { timeoutMs: deps.config.providerTimeoutMs },
    );
    if (!outcome.ok) {
      const { code, message, providerError, httpStatus } = outcome.failure;
      deps.logger.warn('connect callback: code exchange failed', {
        ...ids,
        code,
        reason: message,
        provider_error: providerError,
        http_status: httpStatus,
      });
      return { error: 'exchange_failed' };
    }
    const { tokens } = outcome;
    if (tokens.refreshToken === null) {
      deps.logger.warn('connect callback: the provider issued no refresh token', ids);
    }
    // api.md v1.1: who authorized. An ID token that is there but unusable refuses the reconnect
    // (its identity cannot be compared); none at all is an unknown identity (the stored one stays).
    const identity = accountIdentity(tokens.raw, integration.clientId, {
      provider: integration.provider,
      fields: integration.accountIdFields,
    });
    if (!identity.ok) {
      deps.logger.warn('connect callback: unusable ID token', { ...ids, reason: identity.reason });
      return { error: 'invalid_id_token' };
    }
    if (identity.idToken !== undefined && identity.issuer !== undefined) {
      // Where the issuer publishes keys, the signature must verify; where it cannot be reached, the
      // token endpoint's own answer over TLS vouches for the claims (OpenID Connect Core §3.1.3.7).
      const policy = { allowPrivate: deps.config.allowPrivateUrls };
      const signature = await checkIdTokenSignature(identity.idToken, identity.issuer, deps.jwks, policy);
      if (signature === 'invalid') {
        deps.logger.warn('connect callback: the ID token signature does not verify', ids);
        return { error: 'invalid_id_token' };
      }
      deps.logger.info('connect callback: provider account identified', {
        ...ids,
        id_token_signature: signature,
      });
    }
    await importCredentials({ ...deps, random: deps.refresh.random }, integration, key, {
      accessToken: tokens.accessToken,
      // An answer without a refresh token keeps a stored one that is still good.
      ...(tokens.refreshToken === null ? {} : { refreshToken: tokens.refreshToken }),
      expiresAt: tokens.expiresAt,
      tokenType: tokens.tokenType,
      scope: tokens.scope,
      raw: tokens.raw,
      ...(session.metadata === null ? {} : { metadata: session.metadata }),
      accountId: identity.accountId,
      allowAccountChange: integration.allowAccountChange === true,
      // api.md v1.1: a code exchange is a new grant: its own clock, its own reauth_due.
      newGrant: true,
    });
    return {};
  } catch (error) {
    if (isServiceError(error, 'account_mismatch')) {
      // The grant just issued is dropped (never stored); the stored one is untouched.
      deps.logger.warn('connect callback: another provider account authorized; refused', ids);
      return { error: 'account_mismatch' };
    }
    logFailure(deps, 'connect callback: could not complete', error, ids);
    return isServiceError(error, 'not_found')
      ? { error: 'invalid_request' }
      : { error: 'server_error', unavailable: true };
  }
}

/** api.md: the redirect URI registered with providers. */
function callbackUri(config: ApiDeps['config']): string {
  if (config.publicUrl === undefined) {
    throw new ApiError(500, 'internal_error', 'PUBLIC_URL is not configured; the connect flow needs it');
  }
  return `${config.publicUrl.replace(/\/+$/, '')}/v1/oauth/callback`;
}

/** Absolute http(s), https only unless private URLs are allowed; no credentials or fragment (RFC 6749 §3.1.2). */
function checkRedirectUri(value: string, config: ApiDeps['config']): string {
  const problem = (message: string) =>
    invalidRequest('invalid redirect_uri', [{ path: 'body.redirect_uri', message }]);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw problem('must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && config.allowPrivateUrls)) {
    throw problem(config.allowPrivateUrls ? 'must be an http(s) URL' : 'must be an https URL');
  }
  if (url.username !== '' || url.password !== '') throw problem('must not contain credentials');
  if (url.hash !== '' || value.includes('#')) throw problem('must not contain a fragment');
  return value;
}

function logFailure(deps: ApiDeps, message: string, error: unknown, ids: Record<string, string> = {}): void {
  // Names and codes only: an error's message or cause could quote provider text.
  deps.logger.error(message, {
    ...ids,
    error: error instanceof Error ? error.name : 'unknown',
    ...(isServiceError(error) ? { code: error.code } : {}),
  });
}

const SECURITY_HEADERS = { 'referrer-policy': 'no-referrer', 'x-content-type-options': 'nosniff' };

function redirect(target: string, connectionId: string, error: string | undefined): ApiResult {
  const url = new URL(target);
  url.searchParams.set('connection_id', connectionId);
  url.searchParams.set('status', error === undefined ? 'success' : 'error');
  if (error === undefined) url.searchParams.delete('error');
  else url.searchParams.set('error', error);
  return { status: 302, headers: { ...SECURITY_HEADERS, location: url.toString() } };
}

function page(status: number, view: { error?: string; connectionId?: string }): ApiResult {
  const ok = view.error === undefined;
  const title = ok ? 'Connected' : 'Connection failed';
  const who = view.connectionId === undefined ? '' : ` <code>${escapeHtml(view.connectionId)}</code>`;
  const text = ok
    ? `The connection${who} is connected. You can close this window.`
    : `The connection${who} could not be completed (<code>${escapeHtml(view.error ?? '')}</code>). Return to the application and start again.`;
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}</style></head>
<body><h1>${title}</h1><p>${text}</p></body></html>
`;
  return {
    status,
    html,
    headers: {
      ...SECURITY_HEADERS,
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    },
  };
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
