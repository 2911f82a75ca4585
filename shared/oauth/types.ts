import type { ResolvedIntegration } from '../domain/integration';
import type { RefreshErrorCode } from '../domain/refresh-failure';

/** Where the expiry of a new access token came from (most to least trustworthy). */
export type ExpirySource =
  | 'expires_in'
  | 'expires_at'
  | 'jwt_exp'
  | 'previous_lifetime'
  | 'default'
  | 'non_expiring';

/** A successful refresh, parsed and validated. Holds secrets: never log it. */
export interface TokenSet {
  readonly accessToken: string;
  /** The rotated refresh token, or null when the provider omitted it (keep the old one). */
  readonly refreshToken: string | null;
  readonly tokenType: string | null;
  readonly scope: string | null;
  /** Epoch ms; null only when the provider's tokens do not expire. */
  readonly expiresAt: number | null;
  readonly lifetimeSeconds: number | null;
  readonly expirySource: ExpirySource;
  /** The provider's lifetime was absurd and was clamped (reliability.md promise 22). */
  readonly expiryClamped?: true;
  /**
   * When the refresh token in use after this answer dies if unused, as the provider said it
   * (`refresh_token_expires_in` or the refresh token's JWT `exp`, clamped); null or absent when the
   * answer does not say (api.md v1.1).
   */
  readonly refreshTokenExpiresAt?: number | null;
  /** Other response fields (e.g. `id_token`, `instance_url`, `api_domain`). May hold secrets. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A classified refresh failure (design.md "Error taxonomy"). Holds no secrets. */
export interface RefreshFailure {
  readonly code: RefreshErrorCode;
  readonly message: string;
  /** OAuth `error` (RFC 6749 §5.2) or the provider's own error code, when it sent one. */
  readonly providerError: string | null;
  readonly providerErrorDescription: string | null;
  readonly httpStatus: number | null;
  /** From `Retry-After` (seconds or HTTP date), when present. */
  readonly retryAfterSeconds: number | null;
  /** False when the request provably never reached the provider (connect error): safe to re-send. */
  readonly requestSent: boolean;
}

export type RefreshOutcome =
  | { readonly ok: true; readonly tokens: TokenSet }
  | { readonly ok: false; readonly failure: RefreshFailure };

export interface RefreshGrantInput {
  readonly integration: ResolvedIntegration;
  /** Decrypted client secret, or null for public clients. */
  readonly clientSecret: string | null;
  readonly refreshToken: string;
  /** Values for `{placeholders}` in the token URL (integration url_params merged with connection metadata). */
  readonly urlParams: Readonly<Record<string, string>>;
  readonly previousLifetimeSeconds: number | null;
  /** Epoch ms at which the request is made (expiry computations use it). */
  readonly now: number;
}

export interface RefreshCallOptions {
  /** Abort (and classify) the call after this long. Every provider call has one. */
  readonly timeoutMs: number;
}

/** Performs the refresh_token grant (RFC 6749 §6) and classifies every failure. Never throws for provider behaviour. */
export interface TokenClient {
  refresh(input: RefreshGrantInput, options: RefreshCallOptions): Promise<RefreshOutcome>;
}

/** What the token endpoint answered (status and capped body), or a classified transport failure. */
export type TokenEndpointAnswer =
  | { readonly ok: true; readonly status: number; readonly headers: Headers; readonly bodyText: string }
  | { readonly ok: false; readonly failure: RefreshFailure };

/**
 * POSTs a built token request (any grant) the way every provider call must go: the static URL
 * check and an SSRF-guarded transport, a deadline, no redirects, a capped body, and in-call
 * re-sends only where the request provably was not sent. Resolves, never rejects, for anything
 * the provider or network does; interpreting the body is the caller's job.
 */
export interface TokenEndpoint {
  post(request: TokenRequest, call: RefreshCallOptions): Promise<TokenEndpointAnswer>;
}

/** A ready-to-send token endpoint request (refresh or code grant). Holds secrets (headers, body): never log it. */
export interface TokenRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}
