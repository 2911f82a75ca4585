import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { assertUrlAllowed, type UrlPolicy } from '../policy/ssrf';
import type { HttpTransport } from '../ports/http';

/**
 * Checks an ID token's signature against its issuer's published keys (OpenID Connect Discovery:
 * `<iss>/.well-known/openid-configuration` → `jwks_uri`), where they can be reached.
 *
 * - `verified`: a key of the issuer's JWKS signed it.
 * - `invalid`: the keys were fetched and none verifies it (or its algorithm is `none`/unknown):
 *   the token is not the issuer's, and the reconnect is refused.
 * - `unreachable`: no discovery document or JWKS could be read (not OIDC, network, SSRF policy):
 *   the caller falls back to the claims of the token endpoint's own TLS-protected answer (OpenID
 *   Connect Core §3.1.3.7 item 6), which identifies the account as well.
 *
 * Both requests go through the SSRF-guarded transport, never follow redirects, have a short
 * deadline and a size cap; JWKS are cached per issuer for 10 minutes (a `kid` not found refetches).
 */
export type SignatureCheck = 'verified' | 'invalid' | 'unreachable';

const TIMEOUT_MS = 3_000;
const MAX_BYTES = 64 * 1024;
const CACHE_MS = 10 * 60_000;

interface CachedKeys {
  readonly keys: readonly (JsonWebKey & { kid?: string; alg?: string; use?: string })[];
  readonly at: number;
}
const cache = new Map<string, CachedKeys>();

/** Test hook: forget cached JWKS. */
export function clearJwksCache(): void {
  cache.clear();
}

export async function checkIdTokenSignature(
  idToken: string,
  issuer: string,
  transport: HttpTransport,
  policy: UrlPolicy,
  now: number = Date.now(),
): Promise<SignatureCheck> {
  const [headerPart, payloadPart, signaturePart] = idToken.split('.');
  if (headerPart === undefined || payloadPart === undefined || signaturePart === undefined) return 'invalid';
  let header: { alg?: unknown; kid?: unknown };
  try {
    header = JSON.parse(Buffer.from(headerPart, 'base64url').toString('utf8')) as typeof header;
  } catch {
    return 'invalid';
  }
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const scheme = SCHEMES[alg];
  if (scheme === undefined) return 'invalid'; // `none`, HMAC (client-secret keyed) or unknown
  const kid = typeof header.kid === 'string' ? header.kid : undefined;

  let keys = fresh(cache.get(issuer), now)?.keys;
  if (keys === undefined || (kid !== undefined && !keys.some((k) => k.kid === kid))) {
    const fetched = await fetchKeys(issuer, transport, policy);
    if (fetched === null) return 'unreachable';
    cache.set(issuer, { keys: fetched, at: now });
    keys = fetched;
  }
  const candidates = keys.filter(
    (k) =>
      (kid === undefined || k.kid === kid) &&
      (k.use === undefined || k.use === 'sig') &&
      (k.alg === undefined || k.alg === alg),
  );
  const data = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  const signature = Buffer.from(signaturePart, 'base64url');
  for (const jwk of candidates) {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      continue;
    }
    try {
      if (scheme(key, data, signature)) return 'verified';
    } catch {
      // A key of another type than the algorithm: try the next one.
    }
  }
  return 'invalid';
}

type Scheme = (key: KeyObject, data: Buffer, signature: Buffer) => boolean;

const rsa =
  (digest: string): Scheme =>
  (key, data, signature) =>
    verify(digest, data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
const pss =
  (digest: string): Scheme =>
  (key, data, signature) =>
    verify(
      digest,
      data,
      { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
      signature,
    );
const ec =
  (digest: string): Scheme =>
  (key, data, signature) =>
    verify(digest, data, { key, dsaEncoding: 'ieee-p1363' }, signature);

const SCHEMES: Readonly<Record<string, Scheme>> = {
  RS256: rsa('sha256'),
  RS384: rsa('sha384'),
  RS512: rsa('sha512'),
  PS256: pss('sha256'),
  PS384: pss('sha384'),
  PS512: pss('sha512'),
  ES256: ec('sha256'),
  ES384: ec('sha384'),
  ES512: ec('sha512'),
  EdDSA: (key, data, signature) => verify(null, data, key, signature),
};

function fresh(entry: CachedKeys | undefined, now: number): CachedKeys | undefined {
  return entry !== undefined && now - entry.at < CACHE_MS ? entry : undefined;
}

async function fetchKeys(
  issuer: string,
  transport: HttpTransport,
  policy: UrlPolicy,
): Promise<CachedKeys['keys'] | null> {
  const discovery = await getJson(
    `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`,
    transport,
    policy,
  );
  if (discovery === null || discovery.issuer !== issuer || typeof discovery.jwks_uri !== 'string')
    return null;
  const jwks = await getJson(discovery.jwks_uri, transport, policy);
  if (jwks === null || !Array.isArray(jwks.keys)) return null;
  return jwks.keys.filter((k): k is JsonWebKey => typeof k === 'object' && k !== null);
}

async function getJson(
  url: string,
  transport: HttpTransport,
  policy: UrlPolicy,
): Promise<Record<string, unknown> | null> {
  try {
    assertUrlAllowed(url, policy);
    const res = await transport.request(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
      maxResponseBytes: MAX_BYTES,
    });
    if (res.status !== 200 || res.bodyText === null) return null;
    const value: unknown = JSON.parse(res.bodyText);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
