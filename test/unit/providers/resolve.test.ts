import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DEFAULT_REFRESH_SETTINGS } from '../../../shared/domain/integration';
import { isServiceError } from '../../../shared/errors';
import { PROVIDERS } from '../../../shared/providers/catalogue';
import {
  defaultKeepaliveSeconds,
  integrationConfigSchema,
  resolveIntegration,
  type StoredIntegrationConfig,
} from '../../../shared/providers/resolve';

function config(overrides: Partial<StoredIntegrationConfig> = {}): StoredIntegrationConfig {
  return { provider: 'google', client_id: 'client-1', client_secret_ciphertext: null, ...overrides };
}

function resolveError(stored: StoredIntegrationConfig): unknown {
  try {
    resolveIntegration('int-1', stored);
  } catch (e) {
    return e;
  }
  throw new Error('expected resolveIntegration to throw');
}

describe('resolveIntegration', () => {
  it('takes every default from the catalogue when the integration gives only the provider', () => {
    const ciphertext = new Uint8Array([1, 2, 3]);
    const resolved = resolveIntegration('int-1', config({ client_secret_ciphertext: ciphertext }));
    expect(resolved).toMatchObject({
      integrationId: 'int-1',
      provider: 'google',
      clientId: 'client-1',
      clientSecretCiphertext: ciphertext,
      tokenUrl: 'https://oauth2.googleapis.com/token',
      authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth',
      clientAuth: 'client_secret_post',
      authorizationParams: { access_type: 'offline', prompt: 'consent' },
      rotatesRefreshToken: false,
      reuseGraceSeconds: null,
      webhookUrl: null,
    });
  });

  it('lets given fields override the catalogue', () => {
    const resolved = resolveIntegration(
      'int-1',
      config({
        provider: 'microsoft',
        token_url: 'https://login.example/token',
        authorization_url: 'https://login.example/authorize',
        client_auth: 'client_secret_basic',
        scopes: ['User.Read'],
        webhook_url: 'https://app.example/hooks',
      }),
    );
    expect(resolved.tokenUrl).toBe('https://login.example/token');
    expect(resolved.authorizationUrl).toBe('https://login.example/authorize');
    expect(resolved.clientAuth).toBe('client_secret_basic');
    expect(resolved.scopes).toEqual(['User.Read']);
    expect(resolved.webhookUrl).toBe('https://app.example/hooks');
  });

  it('merges refresh, authorization and URL parameters over the defaults key by key', () => {
    const resolved = resolveIntegration(
      'int-1',
      config({
        provider: 'zendesk',
        refresh_params: { scope: 'read' },
        authorization_params: { prompt: 'login' },
        url_params: { subdomain: 'acme' },
      }),
    );
    expect(resolved.refreshParams).toEqual({ expires_in: '86400', scope: 'read' });
    expect(resolved.authorizationParams).toEqual({ prompt: 'login' });
    expect(resolved.urlParams).toEqual({ subdomain: 'acme' });

    const overridden = resolveIntegration(
      'int-1',
      config({ provider: 'google', authorization_params: { prompt: 'select_account', hd: 'acme.com' } }),
    );
    expect(overridden.authorizationParams).toEqual({
      access_type: 'offline',
      prompt: 'select_account',
      hd: 'acme.com',
    });
  });

  it('overrides a URL placeholder default with the integration url_params', () => {
    const resolved = resolveIntegration(
      'int-1',
      config({ provider: 'microsoft', url_params: { tenant: 'x' } }),
    );
    expect(resolved.urlParams).toEqual({ tenant: 'x' });
    expect(resolved.tokenUrl).toContain('{tenant}');
  });

  it('does not let a resolved integration alias the catalogue', () => {
    const resolved = resolveIntegration('int-1', config());
    expect(Object.isFrozen(resolved.authorizationParams)).toBe(false);
  });

  it('resolves custom with the given token_url and the strict defaults', () => {
    const resolved = resolveIntegration(
      'int-1',
      config({ provider: 'custom', token_url: 'https://provider.example/oauth/token' }),
    );
    expect(resolved.tokenUrl).toBe('https://provider.example/oauth/token');
    expect(resolved.authorizationUrl).toBeNull();
    expect(resolved.clientAuth).toBe('client_secret_basic');
    expect(resolved.rotatesRefreshToken).toBe(true);
    expect(resolved.reuseGraceSeconds).toBe(0);
  });

  it('throws config_invalid for custom without token_url', () => {
    const error = resolveError(config({ provider: 'custom' }));
    expect(isServiceError(error, 'config_invalid')).toBe(true);
    expect((error as Error).message).toMatch(/token_url/);
  });

  it.each(['nope', 'constructor', '__proto__', 'toString'])(
    'throws config_invalid for unknown provider %j',
    (p) => {
      const error = resolveError(config({ provider: p }));
      expect(isServiceError(error, 'config_invalid')).toBe(true);
      expect((error as Error).message).toMatch(/unknown provider/);
    },
  );

  it('uses the default refresh settings when none are given', () => {
    const hubspot = PROVIDERS.hubspot;
    expect(resolveIntegration('int-1', config({ provider: 'hubspot' })).refresh).toEqual({
      ...DEFAULT_REFRESH_SETTINGS,
      // api.md v1.1: the catalogue's lifetimes, and the 7-day reauth_due lead.
      refreshTokenIdleSeconds: hubspot?.refresh_token_idle_seconds ?? null,
      grantLifetimeSeconds: hubspot?.grant_lifetime_seconds ?? null,
      reauthLeadSeconds: 604_800,
    });
  });

  it('takes the lifecycle settings from the integration over the catalogue (null = none)', () => {
    const { refresh } = resolveIntegration(
      'int-1',
      config({
        provider: 'spotify',
        refresh: {
          grant_lifetime_seconds: null,
          refresh_token_idle_seconds: 3_600,
          reauth_lead_seconds: 86_400,
        },
      }),
    );
    expect(refresh).toMatchObject({
      grantLifetimeSeconds: null,
      refreshTokenIdleSeconds: 3_600,
      reauthLeadSeconds: 86_400,
    });
    expect(resolveIntegration('int-1', config({ provider: 'spotify' })).refresh.grantLifetimeSeconds).toBe(
      180 * 86_400,
    );
  });

  it('lets given refresh settings override the defaults one by one', () => {
    const { refresh } = resolveIntegration(
      'int-1',
      config({ refresh: { margin_seconds: 60, mode: 'on_demand', retry_max_seconds: 600 } }),
    );
    expect(refresh).toMatchObject({ marginSeconds: 60, mode: 'on_demand', retryMaxSeconds: 600 });
    expect(refresh.jitterSeconds).toBe(DEFAULT_REFRESH_SETTINGS.jitterSeconds);
  });

  it('derives the keep-alive from half the idle expiry, capped at a day', () => {
    // xero idles out after 60 days: half is 30 days, so the daily default wins.
    expect(resolveIntegration('int-1', config({ provider: 'xero' })).refresh.keepaliveSeconds).toBe(86_400);
  });

  it('derives a keep-alive shorter than a day from a short idle expiry', () => {
    const xero = PROVIDERS.xero;
    if (xero === undefined) throw new Error('xero missing');
    expect(defaultKeepaliveSeconds({ ...xero, refresh_token_idle_seconds: 7_200 })).toBe(3_600);
    expect(defaultKeepaliveSeconds({ ...xero, refresh_token_idle_seconds: 172_800 })).toBe(86_400);
    expect(defaultKeepaliveSeconds({ ...xero, refresh_token_idle_seconds: null })).toBe(86_400);
  });

  it("passes on the provider's documented grant lifetime and refresh-token idle lifetime", () => {
    const spotify = resolveIntegration('int-1', config({ provider: 'spotify' }));
    expect(spotify.grantLifetimeSeconds).toBe(180 * 86_400);
    expect(spotify.refreshTokenIdleSeconds).toBeNull();
    const box = resolveIntegration('int-1', config({ provider: 'box' }));
    expect(box.refreshTokenIdleSeconds).toBe(60 * 86_400);
    expect(box.grantLifetimeSeconds).toBeNull();
  });

  it('requires token_url for a catalogue provider whose token URL is not documented', () => {
    expect(isServiceError(resolveError(config({ provider: 'sage' })), 'config_invalid')).toBe(true);
    const resolved = resolveIntegration(
      'int-1',
      config({ provider: 'sage', token_url: 'https://oauth.example/token' }),
    );
    expect(resolved.tokenUrl).toBe('https://oauth.example/token');
    expect(resolved.rotatesRefreshToken).toBe(true);
  });

  it('keeps a keep-alive the integration sets, even past the derived one', () => {
    const resolved = resolveIntegration(
      'int-1',
      config({ provider: 'xero', refresh: { keepalive_seconds: 200_000 } }),
    );
    expect(resolved.refresh.keepaliveSeconds).toBe(200_000);
  });

  // The recorded answer for every catalogue provider given only its key (and a token URL where the
  // catalogue has none): a change to any flat field of any entry shows up here, one line per provider.
  it('resolves every catalogue provider to its recorded flat values', () => {
    const lines = Object.keys(PROVIDERS).map((key) => {
      const given = PROVIDERS[key]?.token_url === null ? { token_url: 'https://given.example/token' } : {};
      const { integrationId, clientId, clientSecretCiphertext, ...flat } = resolveIntegration(
        'int-1',
        config({ provider: key, ...given }),
      );
      return `${key} ${JSON.stringify(flat)}`;
    });
    expect(lines.join('\n')).toMatchSnapshot();
  });
});

describe('integrationConfigSchema', () => {
  it('accepts the api.md example without its client_secret', () => {
    const parsed = integrationConfigSchema.safeParse({
      provider: 'custom',
      client_id: 'abc',
      token_url: 'https://provider.example/oauth/token',
      authorization_url: 'https://provider.example/oauth/authorize',
      scopes: ['offline_access', 'read'],
      authorization_params: { prompt: 'consent' },
      client_auth: 'client_secret_basic',
      refresh_params: { audience: 'x' },
      webhook_url: 'https://app.example/hooks/oauth',
      refresh: { margin_seconds: 900, keepalive_seconds: 86400, mode: 'proactive' },
    });
    expect(parsed.error).toBeUndefined();
  });

  it('accepts templated URLs', () => {
    const parsed = integrationConfigSchema.safeParse({
      provider: 'okta',
      client_id: 'abc',
      token_url: 'https://{domain}/oauth2/aus1/v1/token',
      url_params: { domain: 'acme.okta.com' },
    });
    expect(parsed.error).toBeUndefined();
  });

  it.each([
    ['an unknown provider', { provider: 'nope', client_id: 'a' }, 'provider'],
    ['custom without token_url', { provider: 'custom', client_id: 'a' }, 'token_url'],
    ['a token_url that is no URL', { provider: 'custom', client_id: 'a', token_url: 'nope' }, 'token_url'],
    ['a non-http token_url', { provider: 'custom', client_id: 'a', token_url: 'ftp://x/y' }, 'token_url'],
    ['an unknown client_auth', { provider: 'google', client_id: 'a', client_auth: 'jwt' }, 'client_auth'],
    ['an empty client_id', { provider: 'google', client_id: '' }, 'client_id'],
  ])('rejects %s', (_name, input, path) => {
    const parsed = integrationConfigSchema.safeParse(input);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain(path);
  });

  it('can be extended with client_secret by the API layer and keeps its cross-field rules', () => {
    const withSecret = integrationConfigSchema.extend({ client_secret: z.string().min(1) });
    const parsed = withSecret.safeParse({ provider: 'custom', client_id: 'a', client_secret: 's' });
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['token_url']);
  });
});
