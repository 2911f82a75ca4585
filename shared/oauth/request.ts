import type { ResolvedIntegration } from '../domain/integration';
import type { RefreshGrantInput, TokenRequest } from './types';
import { fillTokenUrl } from './url';

/** Parameters the integration's `refresh_params` may not override. */
const RESERVED_PARAMS = new Set(['grant_type', 'refresh_token', 'client_id', 'client_secret']);

/**
 * `application/x-www-form-urlencoded` encoding as RFC 6749 §2.3.1 (via Appendix B) requires for
 * client_secret_basic: every octet outside the RFC 3986 unreserved set is percent-encoded (UTF-8),
 * and a space becomes `+`. `encodeURIComponent` leaves `!'()*` alone, so encode those as well.
 */
export function formUrlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * `Authorization: Basic` value for client_secret_basic (RFC 6749 §2.3.1): the client id and secret
 * are each form-urlencoded before being joined with `:` and base64-encoded, so a secret containing
 * `:` or non-ASCII characters survives.
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const credentials = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`;
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

/**
 * Builds the refresh_token grant request (RFC 6749 §6): `grant_type=refresh_token` and the
 * refresh token, the integration's extra `refresh_params` (which cannot override the grant's own
 * parameters or client credentials), and client authentication per `clientAuth`:
 * `client_secret_basic` → Authorization header; `client_secret_post` → `client_id` and
 * `client_secret` in the body; a public client (no secret) → `client_id` in the body only.
 * The body is form-urlencoded, or JSON when the integration says so (Notion).
 * @throws ServiceError `invalid_url` when the token URL's placeholders cannot be filled.
 */
export function buildRefreshRequest(input: RefreshGrantInput): TokenRequest {
  const { integration, clientSecret } = input;
  const url = fillTokenUrl(integration.tokenUrl, input.urlParams);

  const params: Record<string, string> = {
    grant_type: 'refresh_token',
    refresh_token: input.refreshToken,
  };
  for (const [key, value] of Object.entries(integration.refreshParams)) {
    if (!RESERVED_PARAMS.has(key)) params[key] = value;
  }
  return buildTokenRequest(integration, clientSecret, url, params);
}

/**
 * A token endpoint request (any grant) for `params`, with the integration's client authentication
 * (RFC 6749 §2.3.1): `client_secret_basic` → Authorization header; `client_secret_post` →
 * `client_id` and `client_secret` in the body; a public client (no secret) → `client_id` in the
 * body only (§3.2.1). The body is form-urlencoded, or JSON when the integration says so (Notion).
 */
export function buildTokenRequest(
  integration: Pick<ResolvedIntegration, 'clientId' | 'clientAuth' | 'jsonBody'>,
  clientSecret: string | null,
  url: string,
  grantParams: Readonly<Record<string, string>>,
): TokenRequest {
  const params: Record<string, string> = { ...grantParams };
  // Always ask for JSON: GitHub answers form-encoded otherwise, and no provider minds.
  const headers: Record<string, string> = { accept: 'application/json' };
  if (clientSecret === null) {
    params.client_id = integration.clientId;
  } else if (integration.clientAuth === 'client_secret_basic') {
    headers.authorization = basicAuthorization(integration.clientId, clientSecret);
  } else {
    params.client_id = integration.clientId;
    params.client_secret = clientSecret;
  }

  if (integration.jsonBody) {
    headers['content-type'] = 'application/json';
    return { url, headers, body: JSON.stringify(params) };
  }
  headers['content-type'] = 'application/x-www-form-urlencoded';
  const body = Object.entries(params)
    .map(([key, value]) => `${formUrlEncode(key)}=${formUrlEncode(value)}`)
    .join('&');
  return { url, headers, body };
}
