import * as z from 'zod';
import type { ResolvedIntegration } from '../domain/integration';
import { resolveExpiry, resolveRefreshTokenExpiry } from './expiry';
import {
  classifyProviderError,
  parseRetryAfter,
  providerErrorMessage,
  refreshFailure,
  sanitizeErrorCode,
  sanitizeProviderText,
} from './failure';
import type { RefreshOutcome } from './types';

/** The part of `Headers` the response processing needs. */
export interface HeaderReader {
  get(name: string): string | null;
}

export interface RefreshResponseInput {
  readonly status: number;
  readonly headers: HeaderReader;
  readonly bodyText: string;
  readonly integration: Pick<ResolvedIntegration, 'tokenPath' | 'expiryFallback' | 'refresh'>;
  readonly previousLifetimeSeconds: number | null;
  /** Epoch ms at which the request was made. */
  readonly now: number;
  /** The refresh token that was presented: scrubbed from any provider text kept in the failure. */
  readonly previousRefreshToken?: string;
  /** Other values to scrub from provider text (e.g. the client secret). */
  readonly secrets?: readonly string[];
}

type Json = Record<string, unknown>;

const TOKEN_FIELDS = new Set([
  'access_token',
  'refresh_token',
  'expires_in',
  'expires_at',
  'token_type',
  'scope',
]);
const FORM_LIKE = /^[A-Za-z0-9_.-]+=[^\s<>]*$/;

/**
 * Only `access_token` is required. A malformed optional field is dropped rather than failing the
 * whole response: the response may carry a rotated refresh token, and discarding it over a bad
 * `expires_in` could leave the connection with a refresh token the provider already retired.
 */
const tokenSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().optional().catch(undefined),
  token_type: z.string().optional().catch(undefined),
  scope: z
    .union([z.string(), z.array(z.string()).transform((s) => s.join(' '))])
    .optional()
    .catch(undefined),
  expires_in: z.union([z.number(), z.string()]).optional().catch(undefined),
  expires_at: z.union([z.number(), z.string()]).optional().catch(undefined),
  refresh_token_expires_in: z.union([z.number(), z.string()]).optional().catch(undefined),
});

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON, or form-urlencoded (GitHub without `Accept: application/json`); null when neither. */
function parseBody(text: string, contentType: string | null): Json | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      return isRecord(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }
  if (contentType?.toLowerCase().includes('application/x-www-form-urlencoded') || FORM_LIKE.test(trimmed)) {
    return trimmed === '' ? null : Object.fromEntries(new URLSearchParams(trimmed));
  }
  return null;
}

/** The provider's error code and description, from RFC 6749 §5.2 fields or Slack's `{ok:false,error}`. */
function providerError(body: Json | null): { error: string; description: string | null } | null {
  if (body === null) return null;
  let error = body.error;
  if (isRecord(error)) error = error.code ?? error.type; // `{"error": {"code": ...}}` style
  if (typeof error !== 'string' || error.trim() === '') return null;
  const description = body.error_description ?? body.message;
  return { error: error.trim(), description: typeof description === 'string' ? description : null };
}

/** Strips the token fields at the top level and along `path`, keeping everything else (`raw`). */
function rawFields(body: Json, path: readonly string[]): Json {
  const [head, ...rest] = path;
  return Object.fromEntries(
    Object.entries(body)
      .filter(([key]) => !TOKEN_FIELDS.has(key))
      .map(([key, value]) => [key, key === head && isRecord(value) ? rawFields(value, rest) : value]),
  );
}

function tokenObject(body: Json, tokenPath: string | null): { token: unknown; path: string[] } {
  if ('access_token' in body || tokenPath === null) return { token: body, path: [] };
  const path = tokenPath.split('.').filter((s) => s !== '');
  let node: unknown = body;
  for (const key of path) node = isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  return { token: node, path };
}

/**
 * Interprets a token endpoint response to a refresh_token grant (RFC 6749 §5.1 success, §5.2
 * error) into a {@link RefreshOutcome}. Pure; never throws.
 *
 * Failures: 429 / `slow_down` / Slack `ratelimited` → `rate_limited`; 5xx /
 * `temporarily_unavailable` / `server_error` → `provider_unavailable` (both with `Retry-After`);
 * `invalid_grant` and provider equivalents → `revoked`; `invalid_client` and friends, or a bare
 * 401/403 → `client_misconfigured`; a redirect, other 4xx, or a 2xx without a usable access token →
 * `invalid_response`. Errors in a 200 body (Slack, GitHub) are detected whatever the integration
 * says. Provider `error`/`error_description` are kept, scrubbed of the presented refresh token and
 * `secrets`, and truncated; no message ever contains the body or a token.
 *
 * Success: a missing or empty `refresh_token` gives `refreshToken: null` (keep the old one; many
 * providers do not rotate, RFC 9700 §4.14.2). Expiry per {@link resolveExpiry}.
 */
export function processRefreshResponse(input: RefreshResponseInput): RefreshOutcome {
  const { status, headers, now, integration } = input;
  const secrets = [
    ...(input.previousRefreshToken === undefined ? [] : [input.previousRefreshToken]),
    ...(input.secrets ?? []),
  ];
  const body = parseBody(input.bodyText, headers.get('content-type'));
  const oauth = providerError(body);
  const providerErr = oauth === null ? null : sanitizeErrorCode(oauth.error, secrets);
  const extras = {
    httpStatus: status,
    providerError: providerErr,
    providerErrorDescription:
      oauth?.description == null ? null : sanitizeProviderText(oauth.description, secrets),
  };
  const fail = (code: Parameters<typeof refreshFailure>[0], message: string): RefreshOutcome => {
    const retryable = code === 'rate_limited' || code === 'provider_unavailable';
    const header = headers.get('retry-after');
    const retryAfterSeconds = retryable ? parseRetryAfter(header, now) : null;
    // Say so when the provider's Retry-After was beyond what is honoured (it shows in last_error).
    const asked = header !== null && /^\s*\d+\s*$/.test(header) ? Number(header) : null;
    const note =
      retryAfterSeconds !== null && asked !== null && asked > retryAfterSeconds
        ? ` (Retry-After of ${header?.trim().slice(0, 24)} s clamped to ${retryAfterSeconds} s)`
        : '';
    return {
      ok: false,
      failure: refreshFailure(code, `${message}${note}`, { ...extras, retryAfterSeconds }),
    };
  };

  if (status === 429) return fail('rate_limited', providerErrorMessage('rate_limited', providerErr, status));
  if (status >= 500)
    return fail('provider_unavailable', providerErrorMessage('provider_unavailable', providerErr, status));
  if (status >= 300 && status < 400) {
    return fail(
      'invalid_response',
      `token endpoint answered with a redirect (HTTP ${status}); redirects are not followed`,
    );
  }
  if (oauth !== null && providerErr !== null) {
    const known = classifyProviderError(oauth.error);
    const code = known ?? (status === 401 || status === 403 ? 'client_misconfigured' : 'invalid_response');
    return fail(code, providerErrorMessage(code, providerErr, status));
  }
  if (status === 401 || status === 403) {
    return fail('client_misconfigured', providerErrorMessage('client_misconfigured', null, status));
  }
  if (status < 200 || status >= 300) {
    return fail('invalid_response', `token endpoint answered HTTP ${status} without an OAuth error`);
  }
  if (body === null) {
    return fail(
      'invalid_response',
      `token endpoint answered HTTP ${status} with a body that is neither JSON nor form-encoded`,
    );
  }
  if (body.ok === false) {
    return fail(
      'invalid_response',
      `token endpoint answered HTTP ${status} with "ok": false and no error code`,
    );
  }

  const { token, path } = tokenObject(body, integration.tokenPath);
  const parsed = tokenSchema.safeParse(token);
  if (!parsed.success) {
    const where = path.length > 0 ? ` (looked in "${path.join('.')}" too)` : '';
    return fail(
      'invalid_response',
      `token endpoint answered HTTP ${status} without a usable access_token${where}`,
    );
  }
  const t = parsed.data;
  const expiry = resolveExpiry({
    expiresIn: t.expires_in,
    expiresAt: t.expires_at,
    accessToken: t.access_token,
    previousLifetimeSeconds: input.previousLifetimeSeconds,
    defaultLifetimeSeconds: integration.refresh.defaultLifetimeSeconds,
    fallback: integration.expiryFallback,
    now,
  });
  const refreshToken = t.refresh_token === undefined || t.refresh_token === '' ? null : t.refresh_token;
  // api.md v1.1: the refresh token's own life, when the answer tells it (clamped).
  const refreshTokenExpiresAt = resolveRefreshTokenExpiry({
    expiresIn: t.refresh_token_expires_in,
    refreshToken,
    now,
  });
  return {
    ok: true,
    tokens: {
      accessToken: t.access_token,
      refreshToken,
      ...(refreshTokenExpiresAt === null ? {} : { refreshTokenExpiresAt }),
      tokenType: t.token_type ?? null,
      scope: t.scope ?? null,
      ...expiry,
      raw: rawFields(body, path),
    },
  };
}
