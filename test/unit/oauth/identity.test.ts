import { describe, expect, it } from 'vitest';
import { accountIdentity } from '../../../shared/oauth/identity';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: unknown) => `${b64({ alg: 'ES256' })}.${b64(claims)}.c2ln`;
const ISS = 'https://accounts.example';

describe('accountIdentity (the ID token of a code exchange)', () => {
  it('is <iss>|<sub> when the ID token names this client in aud (string or list)', () => {
    expect(accountIdentity({ id_token: jwt({ iss: ISS, sub: 'u-1', aud: 'app' }) }, 'app')).toMatchObject({
      ok: true,
      accountId: `${ISS}|u-1`,
    });
    expect(
      accountIdentity({ id_token: jwt({ iss: ISS, sub: 'u-1', aud: ['x', 'app'] }) }, 'app'),
    ).toMatchObject({
      ok: true,
      accountId: `${ISS}|u-1`,
    });
  });

  it('is unknown (null) without an ID token', () => {
    expect(accountIdentity({}, 'app')).toEqual({ ok: true, accountId: null });
    expect(accountIdentity({ id_token: null }, 'app')).toEqual({ ok: true, accountId: null });
  });

  it('refuses an ID token for another client, without iss or sub, or not a JWT', () => {
    for (const idToken of [
      jwt({ iss: ISS, sub: 'u-1', aud: 'someone-else' }),
      jwt({ sub: 'u-1', aud: 'app' }),
      jwt({ iss: ISS, aud: 'app' }),
      jwt({ iss: 'https://a|b', sub: 'u', aud: 'app' }),
      jwt(['not', 'an', 'object']),
      'opaque-token',
      `${b64({})}.!!!.sig`,
      42,
    ]) {
      expect(accountIdentity({ id_token: idToken }, 'app').ok).toBe(false);
    }
  });

  it('without an ID token, takes the catalogue fields of the answer (Slack: team.id and authed_user.id)', () => {
    const slack = { provider: 'slack', fields: ['team.id', 'authed_user.id'] };
    expect(accountIdentity({ team: { id: 'T1' }, authed_user: { id: 'U2' } }, 'app', slack)).toEqual({
      ok: true,
      accountId: 'slack|T1/U2',
    });
    expect(
      accountIdentity({ account_id: 42 }, 'app', { provider: 'dropbox', fields: ['account_id'] }),
    ).toEqual({
      ok: true,
      accountId: 'dropbox|42',
    });
    // A field missing or not a plain value: unknown, never a partial identity.
    expect(accountIdentity({ team: { id: 'T1' } }, 'app', slack)).toEqual({ ok: true, accountId: null });
    expect(accountIdentity({ team: { id: { x: 1 } }, authed_user: { id: 'U' } }, 'app', slack)).toEqual({
      ok: true,
      accountId: null,
    });
    // An ID token wins over the fields.
    const withToken = accountIdentity(
      { id_token: jwt({ iss: ISS, sub: 's', aud: 'app' }), account_id: 'x' },
      'app',
      {
        provider: 'dropbox',
        fields: ['account_id'],
      },
    );
    expect(withToken).toMatchObject({ ok: true, accountId: `${ISS}|s` });
  });
});
