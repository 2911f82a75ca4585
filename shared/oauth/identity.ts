/**
 * The provider's account identity behind a grant (api.md v1.1 `account_id`), taken from the ID
 * token of the connect flow's code exchange: `iss` and `sub` (OpenID Connect Core §2: "the `sub`
 * value is unique within the issuer", so the pair names one account everywhere).
 *
 * This reads the claims; the connect flow then checks the signature against the issuer's JWKS where
 * it can reach them (./id-token-signature.ts). Where it cannot, the claims are used unverified, on
 * purpose and within the spec: the ID token comes straight from
 * the provider's token endpoint, in the answer to this service's own authenticated request over
 * TLS (OpenID Connect Core §3.1.3.7, item 6: "If the ID Token is received via direct communication
 * between the Client and the Token Endpoint […], the TLS server validation MAY be used to validate
 * the issuer in place of checking the token signature"). Nobody but the provider could have put it
 * there, and it is used for one thing only: telling whether a reconnect authorized the same account
 * as before. It is never used to sign anyone in. `aud` must still name this integration's client.
 */

/** `<iss>|<sub>`: `|` cannot appear unencoded in an issuer URL (RFC 3986), so the pair is unambiguous. */
export type AccountId = string;

export type AccountIdentity =
  /**
   * `accountId` null: the answer names no account (no ID token, no catalogue field). From an ID
   * token, `idToken` and `issuer` come along for a signature check where the issuer's keys can be
   * reached; from catalogue fields, neither (the TLS-protected answer itself vouches for them).
   */
  | {
      readonly ok: true;
      readonly accountId: AccountId | null;
      readonly idToken?: string;
      readonly issuer?: string;
    }
  /** An ID token is there but unusable: malformed, no `iss`/`sub`, or issued to another client. */
  | { readonly ok: false; readonly reason: string };

const MAX_ID_TOKEN_LENGTH = 16_384;
const MAX_PART_LENGTH = 512;

/**
 * The account identity in a token response's extra fields (`raw`: what is left once the tokens are
 * taken out, where `id_token` stays).
 */
export function accountIdentity(
  raw: Readonly<Record<string, unknown>>,
  clientId: string,
  catalogue: { readonly provider: string; readonly fields?: readonly string[] | undefined } = {
    provider: '',
  },
): AccountIdentity {
  const idToken = raw.id_token;
  if (idToken === undefined || idToken === null) return { ok: true, accountId: fromFields(raw, catalogue) };
  if (typeof idToken !== 'string' || idToken.length > MAX_ID_TOKEN_LENGTH) {
    return { ok: false, reason: 'id_token is not a compact JWT' };
  }
  const claims = jwtPayload(idToken);
  if (claims === null) return { ok: false, reason: 'id_token is not a compact JWT with a JSON payload' };
  const { iss, sub, aud } = claims;
  if (typeof iss !== 'string' || iss === '' || iss.length > MAX_PART_LENGTH || iss.includes('|')) {
    return { ok: false, reason: 'id_token has no usable iss' };
  }
  if (typeof sub !== 'string' || sub === '' || sub.length > MAX_PART_LENGTH) {
    return { ok: false, reason: 'id_token has no usable sub' };
  }
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (!audiences.includes(clientId)) return { ok: false, reason: 'id_token was issued to another client' };
  return { ok: true, accountId: `${iss}|${sub}`, idToken, issuer: iss };
}

/**
 * `<provider>|<value>[/<value>…]` from the catalogue's fields of the answer (Slack's `team.id` and
 * `authed_user.id`), or null unless every field holds a non-empty string or number.
 */
function fromFields(
  raw: Readonly<Record<string, unknown>>,
  catalogue: { readonly provider: string; readonly fields?: readonly string[] | undefined },
): AccountId | null {
  if (catalogue.fields === undefined || catalogue.fields.length === 0) return null;
  const values: string[] = [];
  for (const path of catalogue.fields) {
    let node: unknown = raw;
    for (const key of path.split('.')) {
      node =
        typeof node === 'object' && node !== null && Object.hasOwn(node, key)
          ? (node as Record<string, unknown>)[key]
          : undefined;
    }
    const value = typeof node === 'number' && Number.isFinite(node) ? String(node) : node;
    if (typeof value !== 'string' || value === '' || value.length > MAX_PART_LENGTH) return null;
    values.push(value);
  }
  return `${catalogue.provider}|${values.join('/')}`;
}

/** The payload of a compact JWS (three base64url parts), or null. The signature is not checked (see above). */
function jwtPayload(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}
