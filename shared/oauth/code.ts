import { createHash, randomBytes } from 'node:crypto';
import type { ResolvedIntegration } from '../domain/integration';
import { isServiceError, ServiceError } from '../errors';
import { refreshFailure } from './failure';
import { buildTokenRequest } from './request';
import { processRefreshResponse } from './response';
import type { RefreshCallOptions, RefreshOutcome, TokenEndpoint, TokenRequest } from './types';
import { fillTokenUrl } from './url';

/**
 * The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636), for the connect flow: the
 * authorization URL the end user is sent to, and the code exchange at the token endpoint. The
 * exchange reuses the refresh client's transport ({@link TokenEndpoint}: SSRF guard, deadline, no
 * redirects) and response parsing ({@link processRefreshResponse}: RFC 6749 §5.1/§5.2).
 */

/** A PKCE code verifier (RFC 7636 §4.1): 32 random bytes, base64url → 43 characters. */
export function generateCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** The S256 code challenge (RFC 7636 §4.2): base64url(SHA-256(ASCII(verifier))), unpadded. */
export function codeChallengeS256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

export interface AuthorizationUrlInput {
  readonly state: string;
  readonly codeChallenge: string;
  /** The service's callback, `${PUBLIC_URL}/v1/oauth/callback`; the code exchange must send the same. */
  readonly redirectUri: string;
  /** Values for `{placeholders}` in the authorization URL (`{tenant}`, `{subdomain}`, ...). */
  readonly urlParams: Readonly<Record<string, string>>;
}

/** Parameters of the authorization request that `authorization_params` may not override. */
const RESERVED_AUTHORIZATION_PARAMS = new Set([
  'response_type',
  'client_id',
  'redirect_uri',
  'state',
  'code_challenge',
  'code_challenge_method',
]);

/**
 * The authorization request URL (RFC 6749 §4.1.1 + RFC 7636 §4.3): `response_type=code`,
 * `client_id`, `redirect_uri`, `scope` (the integration's scopes joined by spaces, omitted when it
 * has none), `state`, `code_challenge` and `code_challenge_method=S256`, plus the integration's
 * `authorization_params` (e.g. `access_type=offline`, `prompt=consent`). Those cannot override the
 * parameters that bind the response to this session (state, PKCE, client, redirect), nor `scope`
 * when the integration lists scopes. Query parameters already in the configured URL are kept.
 * @throws ServiceError `config_invalid` when the integration has no authorization URL;
 *   `invalid_url` when its placeholders cannot be filled or the result is not an http(s) URL.
 */
export function buildAuthorizationUrl(
  integration: Pick<ResolvedIntegration, 'authorizationUrl' | 'clientId' | 'scopes' | 'authorizationParams'>,
  input: AuthorizationUrlInput,
): string {
  if (integration.authorizationUrl === null) {
    throw new ServiceError('config_invalid', 'the integration has no authorization_url');
  }
  const url = new URL(fillAuthorizationUrl(integration.authorizationUrl, input.urlParams));
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ServiceError('invalid_url', 'authorization URL must be an http(s) URL');
  }
  const q = url.searchParams;
  const scope = integration.scopes.join(' ');
  for (const [key, value] of Object.entries(integration.authorizationParams)) {
    if (RESERVED_AUTHORIZATION_PARAMS.has(key) || (key === 'scope' && scope !== '')) continue;
    q.set(key, value);
  }
  q.set('response_type', 'code');
  q.set('client_id', integration.clientId);
  q.set('redirect_uri', input.redirectUri);
  if (scope !== '') q.set('scope', scope);
  q.set('state', input.state);
  q.set('code_challenge', input.codeChallenge);
  q.set('code_challenge_method', 'S256');
  return url.toString();
}

/** {@link fillTokenUrl}'s rules (hostname-safe values only), with messages naming the right URL. */
function fillAuthorizationUrl(template: string, params: Readonly<Record<string, string>>): string {
  try {
    return fillTokenUrl(template, params);
  } catch (error) {
    if (!isServiceError(error, 'invalid_url')) throw error;
    throw new ServiceError('invalid_url', error.message.replaceAll('token URL', 'authorization URL'), {
      ...(error.details === undefined ? {} : { details: error.details }),
    });
  }
}

export interface CodeGrantInput {
  readonly integration: ResolvedIntegration;
  /** Decrypted client secret, or null for public clients. */
  readonly clientSecret: string | null;
  /** The `code` of the authorization response. */
  readonly code: string;
  /** The PKCE verifier whose challenge went into the authorization URL. */
  readonly codeVerifier: string;
  /** Exactly the `redirect_uri` of the authorization request (RFC 6749 §4.1.3). */
  readonly redirectUri: string;
  /** Values for `{placeholders}` in the token URL. */
  readonly urlParams: Readonly<Record<string, string>>;
  /** Epoch ms at which the request is made (expiry computations use it). */
  readonly now: number;
}

/**
 * Builds the authorization_code grant request (RFC 6749 §4.1.3 + RFC 7636 §4.5): `grant_type`,
 * `code`, `redirect_uri` and `code_verifier`, with the integration's client authentication (see
 * {@link buildTokenRequest}). `refresh_params` are not sent: they belong to the refresh grant.
 * @throws ServiceError `invalid_url` when the token URL's placeholders cannot be filled.
 */
export function buildCodeRequest(input: CodeGrantInput): TokenRequest {
  const url = fillTokenUrl(input.integration.tokenUrl, input.urlParams);
  return buildTokenRequest(input.integration, input.clientSecret, url, {
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: input.redirectUri,
    code_verifier: input.codeVerifier,
  });
}

/**
 * Exchanges an authorization code for tokens (RFC 6749 §4.1.3–§4.1.4) through `endpoint`, with
 * the caller's deadline. Resolves, never rejects, for anything the provider or network does:
 * success is the parsed token set (`refreshToken` null when the provider issued none); failures
 * are classified as for a refresh (RFC 6749 §5.2), except that `invalid_grant` (code invalid,
 * expired, already used, or verifier/redirect mismatch) keeps code `revoked` but says so. The
 * code, the verifier and the client secret are scrubbed from any provider text kept.
 */
export async function exchangeAuthorizationCode(
  endpoint: TokenEndpoint,
  input: CodeGrantInput,
  call: RefreshCallOptions,
): Promise<RefreshOutcome> {
  let request: TokenRequest;
  try {
    request = buildCodeRequest(input);
  } catch (error) {
    if (!isServiceError(error)) throw error; // a bug, not provider behaviour
    const message = `token request not sent (${error.code}): ${error.message}`;
    return { ok: false, failure: refreshFailure('client_misconfigured', message, { requestSent: false }) };
  }
  const sent = await endpoint.post(request, call);
  if (!sent.ok) return sent;
  const outcome = processRefreshResponse({
    status: sent.status,
    headers: sent.headers,
    bodyText: sent.bodyText,
    integration: input.integration,
    previousLifetimeSeconds: null,
    now: input.now,
    secrets: [input.code, input.codeVerifier, ...(input.clientSecret === null ? [] : [input.clientSecret])],
  });
  if (outcome.ok || outcome.failure.code !== 'revoked') return outcome;
  const said = outcome.failure.providerError ?? 'invalid_grant';
  return {
    ok: false,
    failure: {
      ...outcome.failure,
      message: `provider rejected the authorization code (${said}, HTTP ${outcome.failure.httpStatus ?? '?'}): it is invalid, expired or already used, or the PKCE verifier or redirect_uri does not match`,
    },
  };
}
