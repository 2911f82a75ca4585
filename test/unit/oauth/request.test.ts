import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../../shared/errors';
import { basicAuthorization, buildRefreshRequest, formUrlEncode } from '../../../shared/oauth/request';
import { aGrant, anIntegration, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN } from './fixtures';

/** Inverse of application/x-www-form-urlencoded for one value. */
const formDecode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));

describe('formUrlEncode (RFC 6749 §2.3.1 / Appendix B)', () => {
  it('encodes everything outside the unreserved set and spaces as +', () => {
    expect(formUrlEncode("a:b+c d%e é!'()*~-._")).toBe('a%3Ab%2Bc+d%25e+%C3%A9%21%27%28%29%2A~-._');
  });
});

describe('buildRefreshRequest', () => {
  it('sends the refresh_token grant form-encoded and asks for JSON', () => {
    const req = buildRefreshRequest(aGrant());
    expect(req.url).toBe('https://provider.example/oauth/token');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers.accept).toBe('application/json');
    const body = new URLSearchParams(req.body);
    expect(body.get('grant_type')).toBe('refresh_token');
    expect(body.get('refresh_token')).toBe(REFRESH_TOKEN);
  });

  it('client_secret_post puts the client credentials in the body and sends no Authorization', () => {
    const req = buildRefreshRequest(aGrant());
    const body = new URLSearchParams(req.body);
    expect(body.get('client_id')).toBe(CLIENT_ID);
    expect(body.get('client_secret')).toBe(CLIENT_SECRET);
    expect(req.headers.authorization).toBeUndefined();
  });

  it('client_secret_basic form-encodes id and secret before base64 and keeps them out of the body', () => {
    const req = buildRefreshRequest(
      aGrant({ integration: anIntegration({ clientAuth: 'client_secret_basic' }) }),
    );
    const auth = req.headers.authorization ?? '';
    expect(auth).toBe(basicAuthorization(CLIENT_ID, CLIENT_SECRET));
    const decoded = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8');
    expect(decoded).toBe('client+id%3A1:s3%3Acr%2Bt+%25x+%C3%A9%E2%9C%93');
    const [id = '', secret = ''] = decoded.split(':');
    expect([formDecode(id), formDecode(secret)]).toEqual([CLIENT_ID, CLIENT_SECRET]);
    const body = new URLSearchParams(req.body);
    expect(body.has('client_id')).toBe(false);
    expect(body.has('client_secret')).toBe(false);
  });

  it('a public client sends only client_id, whatever the auth method', () => {
    for (const clientAuth of ['client_secret_basic', 'client_secret_post'] as const) {
      const req = buildRefreshRequest(
        aGrant({ clientSecret: null, integration: anIntegration({ clientAuth }) }),
      );
      const body = new URLSearchParams(req.body);
      expect(body.get('client_id')).toBe(CLIENT_ID);
      expect(body.has('client_secret')).toBe(false);
      expect(req.headers.authorization).toBeUndefined();
    }
  });

  it('merges refresh_params but never lets them override the grant or the client credentials', () => {
    const refreshParams = {
      scope: 'offline_access read',
      expires_in: '1',
      grant_type: 'password',
      refresh_token: 'other',
      client_id: 'other',
      client_secret: 'other',
    };
    const body = new URLSearchParams(
      buildRefreshRequest(aGrant({ integration: anIntegration({ refreshParams }) })).body,
    );
    expect(body.get('scope')).toBe('offline_access read');
    expect(body.get('expires_in')).toBe('1');
    expect(body.getAll('grant_type')).toEqual(['refresh_token']);
    expect(body.getAll('refresh_token')).toEqual([REFRESH_TOKEN]);
    expect(body.getAll('client_id')).toEqual([CLIENT_ID]);
    expect(body.getAll('client_secret')).toEqual([CLIENT_SECRET]);
  });

  it('sends a JSON body when the integration asks for one (Notion)', () => {
    const integration = anIntegration({ jsonBody: true, clientAuth: 'client_secret_basic' });
    const req = buildRefreshRequest(aGrant({ integration }));
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({ grant_type: 'refresh_token', refresh_token: REFRESH_TOKEN });
  });

  it('fills token URL placeholders from urlParams and fails with invalid_url when one is missing', () => {
    const integration = anIntegration({ tokenUrl: 'https://{subdomain}.zendesk.com/oauth/tokens' });
    expect(buildRefreshRequest(aGrant({ integration, urlParams: { subdomain: 'acme' } })).url).toBe(
      'https://acme.zendesk.com/oauth/tokens',
    );
    expect(() => buildRefreshRequest(aGrant({ integration }))).toThrow(/\{subdomain\}/);
    try {
      buildRefreshRequest(aGrant({ integration }));
    } catch (e) {
      expect(isServiceError(e, 'invalid_url')).toBe(true);
    }
  });
});
