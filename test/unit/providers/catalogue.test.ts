import { describe, expect, it } from 'vitest';
import { fillTokenUrl } from '../../../shared/oauth/url';
import { PROVIDERS } from '../../../shared/providers/catalogue';
import {
  DOCUMENTED_PROVIDERS,
  documentCatalogue,
  PROVIDER_DOCS,
} from '../../../shared/providers/catalogue-docs';
import {
  BEHAVIOUR_NAMES,
  type DocumentedProvider,
  documentedProviderSchema,
  type ProviderDefinition,
  providerDefinitionSchema,
  providerDocsSchema,
  sourcesOf,
} from '../../../shared/providers/schema';

// Each provider with its documentation: catalogue.ts (what the service does) joined with
// catalogue-docs.ts (what the documentation says).
const entries = Object.entries(DOCUMENTED_PROVIDERS);
const catalogued = entries.filter(([key]) => key !== 'custom');

function provider(key: string) {
  const definition = DOCUMENTED_PROVIDERS[key];
  if (definition === undefined) throw new Error(`no provider ${key} in the catalogue`);
  return definition;
}

function placeholders(url: string): string[] {
  return [...url.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] ?? '');
}

/** A plain (unfrozen, deep) copy of an entry to break in a test. */
function copyOf(key: string): DocumentedProvider {
  return structuredClone(provider(key)) as DocumentedProvider;
}

function issuePaths(input: unknown): string[] {
  return (documentedProviderSchema.safeParse(input).error?.issues ?? []).map((issue) => issue.path.join('.'));
}

describe('PROVIDERS', () => {
  it.each(entries)('%s validates against documentedProviderSchema', (_key, definition) => {
    expect(documentedProviderSchema.safeParse(definition).error).toBeUndefined();
  });

  it.each(Object.entries(PROVIDERS))('%s holds the flat fields only, its documentation none', (key, d) => {
    expect(providerDefinitionSchema.safeParse(d).error).toBeUndefined();
    expect(providerDocsSchema.safeParse(PROVIDER_DOCS[key]).error).toBeUndefined();
  });

  it('documents exactly the providers of the catalogue, in its order', () => {
    expect(Object.keys(PROVIDER_DOCS)).toEqual(Object.keys(PROVIDERS));
    expect(Object.keys(DOCUMENTED_PROVIDERS)).toEqual(Object.keys(PROVIDERS));
  });

  it.each(entries)('%s is filed under its own key', (key, definition) => {
    expect(definition.key).toBe(key);
  });

  it('holds at least 60 providers plus custom', () => {
    expect(catalogued.length).toBeGreaterThanOrEqual(60);
    expect(PROVIDERS.custom).toBeDefined();
  });

  it('holds every provider the catalogue promises', () => {
    const promised = [
      'quickbooks',
      'zoho',
      'zoom',
      'dropbox',
      'zendesk',
      'reddit',
      'adobe_sign',
      'docusign',
      'pipedrive',
      'calendly',
      'asana',
      'clickup',
      'linear',
      'airtable',
      'figma',
      'miro',
      'monday',
      'spotify',
      'twitter',
      'linkedin',
      'discord',
      'twitch',
      'shopify',
      'stripe_connect',
      'square',
      'mailchimp',
      'constant_contact',
      'typeform',
      'webflow',
      'wrike',
      'smartsheet',
      'procore',
      'servicetitan',
      'netsuite',
      'sage',
      'freshbooks',
      'gusto',
      'deel',
      'okta',
      'auth0',
      'keycloak',
      'microsoft',
      'google',
      'github_app',
      // Other code and tests depend on these keys.
      'salesforce',
      'xero',
      'hubspot',
      'slack',
      'github',
      'box',
      'atlassian',
      'notion',
      'intercom',
      'cognito',
    ];
    expect(promised.filter((key) => PROVIDERS[key] === undefined)).toEqual([]);
  });

  it.each(catalogued)('%s has an https token URL, or says the integration must give one', (_key, d) => {
    if (d.token_url === null) {
      expect(d.notes).toMatch(/token_url/);
      expect(d.behaviours.token_url.known).toBe(false);
    } else {
      expect(new URL(d.token_url.replace(/\{\w+\}/g, 'x')).protocol).toBe('https:');
    }
  });

  it.each(catalogued)('%s has an https authorization URL or none', (_key, d) => {
    if (d.authorization_url !== null)
      expect(new URL(d.authorization_url.replace(/\{\w+\}/g, 'x')).protocol).toBe('https:');
  });

  it.each(catalogued)('%s gives every URL placeholder a default or documents it in notes', (_key, d) => {
    const names = [...placeholders(d.token_url ?? ''), ...placeholders(d.authorization_url ?? '')];
    for (const name of names) {
      const documented = d.notes.includes(`${name}:`);
      expect(name in d.url_param_defaults || documented, `{${name}}`).toBe(true);
    }
  });

  it.each(catalogued.filter(([, d]) => d.token_url?.includes('{')))(
    '%s token URL fills through the placeholder mechanism',
    (_key, d) => {
      const values = Object.fromEntries(placeholders(d.token_url ?? '').map((name) => [name, 'acme-1']));
      const filled = fillTokenUrl(d.token_url ?? '', { ...values, ...d.url_param_defaults });
      expect(new URL(filled).hostname).toMatch(/^[a-z0-9.-]+$/);
      expect(filled).not.toMatch(/[{}]/);
    },
  );

  it.each(entries)('%s has a reuse grace exactly when it rotates refresh tokens', (_key, definition) => {
    if (definition.rotates_refresh_token) expect(definition.reuse_grace_seconds).not.toBeNull();
    else expect(definition.reuse_grace_seconds).toBeNull();
  });

  it.each(entries)('%s states every behaviour with a source or as explicitly unknown', (_key, d) => {
    expect(Object.keys(d.behaviours).sort()).toEqual([...BEHAVIOUR_NAMES].sort());
    for (const name of BEHAVIOUR_NAMES) {
      const fact = d.behaviours[name];
      if (fact.known) expect(new URL(fact.source).protocol, name).toBe('https:');
      else expect(fact.note.length, name).toBeGreaterThan(0);
    }
    for (const q of d.quirks) expect(new URL(q.source).protocol).toBe('https:');
    expect(sourcesOf(d).length).toBeGreaterThan(0);
  });

  it.each(entries)('%s flat lifetimes are exactly the documented ones', (_key, d) => {
    const value = (fact: (typeof d.behaviours)['grant_lifetime_seconds']) => (fact.known ? fact.value : null);
    expect(d.grant_lifetime_seconds).toBe(value(d.behaviours.grant_lifetime_seconds));
    expect(d.refresh_token_idle_seconds).toBe(value(d.behaviours.refresh_token_idle_seconds));
  });

  it('lets nobody edit an entry, its behaviours or its quirks', () => {
    expect(Object.isFrozen(PROVIDERS)).toBe(true);
    expect(Object.isFrozen(PROVIDER_DOCS)).toBe(true);
    expect(Object.isFrozen(DOCUMENTED_PROVIDERS)).toBe(true);
    expect(Object.isFrozen(PROVIDERS.google)).toBe(true);
    expect(Object.isFrozen(PROVIDERS.google?.authorization_params)).toBe(true);
    const google = provider('google');
    expect(Object.isFrozen(google)).toBe(true);
    expect(Object.isFrozen(google.behaviours.refresh_token_idle_seconds)).toBe(true);
    expect(Object.isFrozen(google.quirks)).toBe(true);
  });

  it('marks as non-expiring only providers whose tokens do not expire', () => {
    const nonExpiring = entries.filter(([, d]) => d.expiry_fallback === 'non_expiring').map(([k]) => k);
    expect(nonExpiring.sort()).toEqual(['clickup', 'intercom', 'mailchimp', 'notion']);
  });
});

describe('providerDefinitionSchema (sourced behaviour)', () => {
  it('accepts an unchanged copy', () => {
    expect(issuePaths(copyOf('box'))).toEqual([]);
  });

  it('rejects an entry missing a behaviour', () => {
    const entry = copyOf('box') as unknown as { behaviours: Record<string, unknown> };
    delete entry.behaviours.grant_lifetime_seconds;
    expect(issuePaths(entry)).toContain('behaviours.grant_lifetime_seconds');
  });

  it('rejects a known behaviour without a source, or with a non-https one', () => {
    const entry = copyOf('box') as unknown as { behaviours: Record<string, Record<string, unknown>> };
    const fact = entry.behaviours.rotates_refresh_token;
    if (fact === undefined) throw new Error('box has no rotation fact');
    delete fact.source;
    expect(issuePaths(entry).some((p) => p.startsWith('behaviours.rotates_refresh_token'))).toBe(true);
    fact.source = 'http://developer.box.com/';
    expect(issuePaths(entry).some((p) => p.startsWith('behaviours.rotates_refresh_token'))).toBe(true);
  });

  it('rejects an unknown behaviour that does not say why', () => {
    const entry = copyOf('box') as unknown as { behaviours: Record<string, unknown> };
    entry.behaviours.expires_in = { known: false };
    expect(issuePaths(entry).some((p) => p.startsWith('behaviours.expires_in'))).toBe(true);
  });

  it('rejects a quirk without a source', () => {
    const entry = copyOf('calendly') as unknown as { quirks: Record<string, unknown>[] };
    entry.quirks.push({ text: 'Something surprising.' });
    expect(issuePaths(entry).some((p) => p.startsWith('quirks'))).toBe(true);
  });

  it('rejects an entry that cites no documentation at all', () => {
    const entry = copyOf('custom');
    entry.quirks = [];
    expect(issuePaths(entry)).toContain('behaviours');
  });

  it('rejects flat fields that contradict the documentation', () => {
    const rotation = copyOf('box');
    rotation.rotates_refresh_token = false;
    rotation.reuse_grace_seconds = null;
    expect(issuePaths(rotation)).toContain('behaviours.rotates_refresh_token');

    const grace = copyOf('box');
    grace.reuse_grace_seconds = 60;
    expect(issuePaths(grace)).toContain('behaviours.reuse_grace_seconds');

    const idle = copyOf('box');
    idle.refresh_token_idle_seconds = 90 * 86_400;
    expect(issuePaths(idle)).toContain('behaviours.refresh_token_idle_seconds');

    const grant = copyOf('spotify');
    grant.grant_lifetime_seconds = null;
    expect(issuePaths(grant)).toContain('behaviours.grant_lifetime_seconds');

    const auth = copyOf('docusign');
    auth.client_auth = 'client_secret_post';
    expect(issuePaths(auth)).toContain('behaviours.client_auth');

    const url = copyOf('procore');
    url.token_url = 'https://login-sandbox.procore.com/oauth/token';
    expect(issuePaths(url)).toContain('behaviours.token_url');
  });

  it('allows a modelled grace shorter than the documented one, never longer', () => {
    const shorter = copyOf('microsoft');
    shorter.behaviours.reuse_grace_seconds = {
      known: true,
      value: 7_200,
      source: 'https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens',
    };
    expect(issuePaths(shorter)).toEqual(['behaviours.reuse_grace_seconds']);
    shorter.behaviours.reuse_grace_seconds.value = 90 * 86_400;
    expect(issuePaths(shorter)).toEqual([]);
  });
});

describe('documentCatalogue (the catalogue joined with its documentation)', () => {
  const docs = { ...PROVIDER_DOCS };
  const flat = (key: string) => ({ ...PROVIDERS[key] }) as ProviderDefinition;

  it('refuses a flat field that contradicts a documented behaviour, naming the entry', () => {
    const box = { ...flat('box'), rotates_refresh_token: false, reuse_grace_seconds: null };
    expect(() => documentCatalogue({ ...PROVIDERS, box }, docs)).toThrow(
      /box\.behaviours\.rotates_refresh_token: rotates_refresh_token is documented as true/,
    );
    const spotify = { ...flat('spotify'), grant_lifetime_seconds: null };
    expect(() => documentCatalogue({ ...PROVIDERS, spotify }, docs)).toThrow(
      /spotify\.behaviours\.grant_lifetime_seconds/,
    );
  });

  it('refuses a provider without documentation, and documentation without a provider', () => {
    const { xero: _xero, ...undocumented } = docs;
    expect(() => documentCatalogue(PROVIDERS, undocumented)).toThrow(
      /xero: in the catalogue, but not documented/,
    );
    const { xero: _gone, ...fewer } = PROVIDERS;
    expect(() => documentCatalogue(fewer, docs)).toThrow(/xero: documented, but not in the catalogue/);
  });

  it('refuses an entry that cites no documentation at all', () => {
    const custom = { ...(PROVIDER_DOCS.custom as (typeof PROVIDER_DOCS)[string]), quirks: [] };
    expect(() => documentCatalogue(PROVIDERS, { ...docs, custom })).toThrow(
      /custom\.behaviours: an entry needs at least one documentation source/,
    );
  });

  it('joins the same catalogue when nothing disagrees', () => {
    expect(documentCatalogue(PROVIDERS, docs)).toEqual(DOCUMENTED_PROVIDERS);
  });
});

describe('provider facts', () => {
  it('google posts its client credentials, never rotates, asks for offline access, idles out after six months', () => {
    const google = provider('google');
    expect(google.token_url).toBe('https://oauth2.googleapis.com/token');
    expect(google.client_auth).toBe('client_secret_post');
    expect(google.rotates_refresh_token).toBe(false);
    expect(google.authorization_params).toEqual({ access_type: 'offline', prompt: 'consent' });
    expect(google.refresh_token_idle_seconds).toBe(180 * 86_400);
  });

  it('xero rotates with a 30-minute grace and idles out after 60 days', () => {
    const xero = provider('xero');
    expect(xero.rotates_refresh_token).toBe(true);
    expect(xero.reuse_grace_seconds).toBe(1_800);
    expect(xero.refresh_token_idle_seconds).toBe(60 * 86_400);
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

  it('zoho templates the data centre, defaults it to zoho.com and fills it per data centre', () => {
    const zoho = provider('zoho');
    expect(zoho.url_param_defaults).toEqual({ dc: 'zoho.com' });
    expect(fillTokenUrl(zoho.token_url ?? '', { dc: 'zoho.eu' })).toBe(
      'https://accounts.zoho.eu/oauth/v2/token',
    );
    expect(zoho.rotates_refresh_token).toBe(false);
  });

  it('dropbox asks for offline tokens and reddit for permanent ones at authorization', () => {
    expect(provider('dropbox').authorization_params).toEqual({ token_access_type: 'offline' });
    expect(provider('reddit').authorization_params).toEqual({ duration: 'permanent' });
  });

  it('notion sends a JSON body', () => {
    expect(provider('notion').json_body).toBe(true);
  });

  it('zendesk asks for an explicit access-token lifetime, since it omits one unless asked', () => {
    const zendesk = provider('zendesk');
    expect(zendesk.refresh_params.expires_in).toMatch(/^\d+$/);
    expect(zendesk.behaviours.expires_in).toMatchObject({ known: true, value: 'on_request' });
  });

  it('documents hard grant ends (LinkedIn, Spotify, QuickBooks) and idle expiries (Adobe Sign, Box, Miro)', () => {
    expect(provider('linkedin').grant_lifetime_seconds).toBe(365 * 86_400);
    expect(provider('spotify').grant_lifetime_seconds).toBe(180 * 86_400);
    expect(provider('quickbooks').grant_lifetime_seconds).toBe(5 * 365 * 86_400);
    expect(provider('adobe_sign').refresh_token_idle_seconds).toBe(60 * 86_400);
    expect(provider('box').refresh_token_idle_seconds).toBe(60 * 86_400);
    expect(provider('miro').refresh_token_idle_seconds).toBe(60 * 86_400);
  });

  it('single-use rotations with no grace where documented (Calendly, Procore, GitHub App, Box)', () => {
    for (const key of ['calendly', 'procore', 'github_app', 'box']) {
      expect(provider(key), key).toMatchObject({ rotates_refresh_token: true, reuse_grace_seconds: 0 });
    }
  });

  it('square keeps its refresh token (code flow) and answers with expires_at', () => {
    const square = provider('square');
    expect(square.rotates_refresh_token).toBe(false);
    expect(square.behaviours.expires_in).toMatchObject({ known: true, value: 'expires_at' });
  });

  it('custom has no token URL and assumes strict single-use rotation', () => {
    const custom = provider('custom');
    expect(custom.token_url).toBeNull();
    expect(custom.client_auth).toBe('client_secret_basic');
    expect(custom.rotates_refresh_token).toBe(true);
    expect(custom.reuse_grace_seconds).toBe(0);
  });
});
