import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { checkIdTokenSignature, clearJwksCache } from '../../../shared/oauth/id-token-signature';
import type { HttpTransport } from '../../../shared/ports/http';

const ISS = 'https://accounts.example';
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const es = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rs = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

function jwt(
  alg: 'ES256' | 'RS256',
  kid: string,
  key: KeyObject,
  claims = { iss: ISS, sub: 'u', aud: 'app' },
) {
  const input = `${b64({ alg, kid })}.${b64(claims)}`;
  const signature =
    alg === 'ES256'
      ? sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', Buffer.from(input), key);
  return `${input}.${signature.toString('base64url')}`;
}

/** Discovery and JWKS as the issuer publishes them; `null` answers nothing (unreachable). */
function issuer(published: Record<string, unknown> | null): HttpTransport & { urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    close() {},
    async request(url) {
      urls.push(url);
      if (published === null) throw new Error('ECONNREFUSED');
      const body =
        url === `${ISS}/.well-known/openid-configuration`
          ? { issuer: ISS, jwks_uri: `${ISS}/jwks` }
          : url === `${ISS}/jwks`
            ? published
            : null;
      return { status: body === null ? 404 : 200, headers: new Headers(), bodyText: JSON.stringify(body) };
    },
  };
}
const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid, use: 'sig' });
const policy = { allowPrivate: false };

describe('ID token signature against the issuer’s JWKS', () => {
  beforeEach(() => clearJwksCache());

  it('verifies ES256 and RS256 tokens signed by a published key', async () => {
    const keys = issuer({ keys: [jwk(es.publicKey, 'e'), jwk(rs.publicKey, 'r')] });
    expect(await checkIdTokenSignature(jwt('ES256', 'e', es.privateKey), ISS, keys, policy)).toBe('verified');
    expect(await checkIdTokenSignature(jwt('RS256', 'r', rs.privateKey), ISS, keys, policy)).toBe('verified');
    // Cached: the second token fetched nothing more.
    expect(keys.urls).toHaveLength(2);
  });

  it('refuses a token signed by another key, a tampered payload, alg none or HMAC', async () => {
    const keys = issuer({ keys: [jwk(es.publicKey, 'e')] });
    expect(await checkIdTokenSignature(jwt('ES256', 'e', other.privateKey), ISS, keys, policy)).toBe(
      'invalid',
    );
    const [h, , s] = jwt('ES256', 'e', es.privateKey).split('.');
    const tampered = `${h}.${b64({ iss: ISS, sub: 'someone-else', aud: 'app' })}.${s}`;
    expect(await checkIdTokenSignature(tampered, ISS, keys, policy)).toBe('invalid');
    expect(
      await checkIdTokenSignature(`${b64({ alg: 'none' })}.${b64({ iss: ISS })}.`, ISS, keys, policy),
    ).toBe('invalid');
    expect(
      await checkIdTokenSignature(`${b64({ alg: 'HS256' })}.${b64({ iss: ISS })}.c2ln`, ISS, keys, policy),
    ).toBe('invalid');
  });

  it('is unreachable (the caller falls back to the TLS-protected claims) without discovery or JWKS', async () => {
    expect(await checkIdTokenSignature(jwt('ES256', 'e', es.privateKey), ISS, issuer(null), policy)).toBe(
      'unreachable',
    );
    // A private or plain-http issuer is never fetched where private URLs are not allowed.
    const local = issuer({ keys: [jwk(es.publicKey, 'e')] });
    expect(
      await checkIdTokenSignature(jwt('ES256', 'e', es.privateKey), 'http://127.0.0.1:1', local, policy),
    ).toBe('unreachable');
    expect(local.urls).toEqual([]);
  });
});
