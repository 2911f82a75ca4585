import { describe, expect, it } from 'vitest';
import { PROVIDERS } from '../../../shared/providers/catalogue';
import { providerDefinitionSchema } from '../../../shared/providers/schema';

const entries = Object.entries(PROVIDERS);
const catalogued = entries.filter(([key]) => key !== 'custom');

function provider(key: string) {
  const definition = PROVIDERS[key];
  if (definition === undefined) throw new Error(`no provider ${key} in the catalogue`);
  return definition;
}

function placeholders(url: string): string[] {
  return [...url.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] ?? '');
}

describe('PROVIDERS', () => {
  it.each(entries)('%s validates against providerDefinitionSchema', (_key, definition) => {
    expect(providerDefinitionSchema.safeParse(definition).error).toBeUndefined();
  });

  it.each(entries)('%s is filed under its own key', (key, definition) => {
    expect(definition.key).toBe(key);
  });

  it('holds at least 12 providers plus custom', () => {
    expect(catalogued.length).toBeGreaterThanOrEqual(12);
    expect(PROVIDERS.custom).toBeDefined();
  });

  it.each(catalogued)('%s has an https token URL', (_key, definition) => {
    expect(definition.token_url).not.toBeNull();
    expect(new URL((definition.token_url ?? '').replace(/\{\w+\}/g, 'x')).protocol).toBe('https:');
  });

  it.each(catalogued)('%s has an https authorization URL', (_key, definition) => {
    expect(definition.authorization_url).not.toBeNull();
    expect(new URL((definition.authorization_url ?? '').replace(/\{\w+\}/g, 'x')).protocol).toBe('https:');
  });

  it.each(catalogued)('%s gives every URL placeholder a default or documents it in notes', (_key, d) => {
    const names = [...placeholders(d.token_url ?? ''), ...placeholders(d.authorization_url ?? '')];
    for (const name of names) {
      const documented = d.notes.includes(`${name}:`);
      expect(name in d.url_param_defaults || documented, `{${name}}`).toBe(true);
    }
  });

  it.each(entries)('%s has a reuse grace exactly when it rotates refresh tokens', (_key, definition) => {
    if (definition.rotates_refresh_token) expect(definition.reuse_grace_seconds).not.toBeNull();
    else expect(definition.reuse_grace_seconds).toBeNull();
  });

  it('lets nobody edit an entry', () => {
    expect(Object.isFrozen(PROVIDERS)).toBe(true);
    expect(Object.isFrozen(provider('google'))).toBe(true);
    expect(Object.isFrozen(provider('google').authorization_params)).toBe(true);
  });

  it('marks only notion and intercom as non-expiring', () => {
    const nonExpiring = entries.filter(([, d]) => d.expiry_fallback === 'non_expiring').map(([k]) => k);
    expect(nonExpiring.sort()).toEqual(['intercom', 'notion']);
  });
});

describe('provider facts (providers.md)', () => {
  it('google posts its client credentials, never rotates, and asks for offline access with consent', () => {
    const google = provider('google');
    expect(google.token_url).toBe('https://oauth2.googleapis.com/token');
    expect(google.client_auth).toBe('client_secret_post');
    expect(google.rotates_refresh_token).toBe(false);
    expect(google.authorization_params).toEqual({ access_type: 'offline', prompt: 'consent' });
    expect(google.refresh_token_idle_expiry_seconds).toBeLessThanOrEqual(183 * 86_400);
  });

  it('xero rotates with a 30-minute grace and idles out after 60 days', () => {
    const xero = provider('xero');
    expect(xero.rotates_refresh_token).toBe(true);
    expect(xero.reuse_grace_seconds).toBe(1_800);
    expect(xero.refresh_token_idle_expiry_seconds).toBe(60 * 86_400);
    expect(xero.default_scopes).toContain('offline_access');
  });

  it('atlassian allows 10 minutes of leeway for the previous refresh token', () => {
    expect(provider('atlassian').reuse_grace_seconds).toBe(600);
  });

  it('slack reports errors in 200 bodies and nests the user token under authed_user', () => {
    const slack = provider('slack');
    expect(slack.errors_in_200_body).toBe(true);
    expect(slack.token_path).toBe('authed_user');
  });

  it('github needs Accept: application/json and reports errors in 200 bodies', () => {
    const github = provider('github');
    expect(github.accept_json_header).toBe(true);
    expect(github.errors_in_200_body).toBe(true);
  });

  it('salesforce templates the instance and defaults it to login', () => {
    const salesforce = provider('salesforce');
    expect(salesforce.token_url).toBe('https://{instance}.salesforce.com/services/oauth2/token');
    expect(salesforce.url_param_defaults).toEqual({ instance: 'login' });
  });

  it('microsoft templates the tenant, defaults it to common, and asks for offline_access', () => {
    const microsoft = provider('microsoft');
    expect(microsoft.token_url).toContain('{tenant}');
    expect(microsoft.url_param_defaults).toEqual({ tenant: 'common' });
    expect(microsoft.default_scopes).toContain('offline_access');
  });

  it('dropbox asks for offline tokens at authorization', () => {
    expect(provider('dropbox').authorization_params).toEqual({ token_access_type: 'offline' });
  });

  it('notion sends a JSON body', () => {
    expect(provider('notion').json_body).toBe(true);
  });

  it('zendesk asks for an explicit access-token lifetime', () => {
    expect(provider('zendesk').refresh_params.expires_in).toMatch(/^\d+$/);
  });

  it('custom has no token URL and assumes strict single-use rotation', () => {
    const custom = provider('custom');
    expect(custom.token_url).toBeNull();
    expect(custom.client_auth).toBe('client_secret_basic');
    expect(custom.rotates_refresh_token).toBe(true);
    expect(custom.reuse_grace_seconds).toBe(0);
  });
});
