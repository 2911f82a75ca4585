import type { ProviderDefinition } from './schema';

/**
 * The built-in provider catalogue: what each provider needs for refreshing (RFC 6749 §6) and how it
 * behaves when refresh tokens rotate (RFC 9700 §4.14.2).
 *
 * This file holds what the service does: the flat fields that every function resolving an
 * integration reads. What the providers' documentation says (`behaviours` and `quirks`, each with
 * the page that says it, and operator `notes`) is in catalogue-docs.ts under the same keys. Only
 * `GET /v1/providers` loads that file, so the functions that refresh tokens do not carry it.
 *
 * Where a behaviour is documented the flat field here follows it (definitionProblems in schema.ts
 * checks both files together, in the unit tests and when the API loads the documentation); where it
 * is unknown the flat field holds the conservative assumption, which {@link define} fills in: the
 * refresh token rotates and a re-sent one revokes the grant (no grace). Treating a non-rotating
 * provider as strict costs at most an unnecessary re-authorization after an ambiguous failure, while
 * treating a strict provider as lenient re-sends a spent refresh token, which can revoke the whole
 * grant. Where rotation is optional or configurable per app or tenant (Salesforce, Slack, Okta,
 * Auth0, Keycloak, ...) it is unknown, and the strict case is modelled.
 *
 * Entries that existed before sourcing keep their modelled flat values (token URLs, client
 * authentication, rotation) where the documentation read neither confirms nor contradicts them;
 * their behaviours then say unknown.
 */

export const DAY = 86_400;
/** 365 days: "a year" read conservatively (the shorter reading). */
export const YEAR = 365 * DAY;
/** 180 days: "six months" read conservatively (the shorter reading). */
export const SIX_MONTHS = 180 * DAY;

type RequiredField = 'key' | 'display_name' | 'token_url' | 'authorization_url' | 'client_auth';

/** Fields every entry must state; everything else has a default in {@link define}. */
type ProviderSpec = Pick<ProviderDefinition, RequiredField> &
  Partial<Omit<ProviderDefinition, RequiredField>>;

/**
 * Builds an entry: fields not given take their defaults. Rotation not given is the conservative
 * assumption (the refresh token rotates), and the grace of a rotating provider is none (0) unless
 * given; a non-rotating provider has none to give (`null`). The idle and grant lifetimes are `null`
 * (none known) unless given: the documented ones, never more.
 */
function define(spec: ProviderSpec): ProviderDefinition {
  const rotates = spec.rotates_refresh_token ?? true;
  const definition: ProviderDefinition = {
    refresh_params: {},
    url_param_defaults: {},
    default_scopes: [],
    authorization_params: {},
    expiry_fallback: 'jwt_exp_then_previous',
    errors_in_200_body: false,
    token_path: null,
    accept_json_header: false,
    json_body: false,
    refresh_token_idle_seconds: null,
    grant_lifetime_seconds: null,
    ...spec,
    rotates_refresh_token: rotates,
    reuse_grace_seconds:
      spec.reuse_grace_seconds !== undefined ? spec.reuse_grace_seconds : rotates ? 0 : null,
  };
  // Frozen all the way down: resolveIntegration spreads these objects, nobody may edit them.
  return deepFreeze(definition);
}

/** Freezes an object and everything it holds (the catalogue and its documentation). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** Built-in providers by key (the integration's `provider`). `custom` has no defaults to offer. */
export const PROVIDERS: Readonly<Record<string, ProviderDefinition>> = Object.freeze({
  google: define({
    key: 'google',
    display_name: 'Google (incl. Google Workspace)',
    token_url: 'https://oauth2.googleapis.com/token',
    authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth',
    client_auth: 'client_secret_post',
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
    authorization_params: { access_type: 'offline', prompt: 'consent' },
    refresh_token_idle_seconds: SIX_MONTHS,
  }),
  microsoft: define({
    key: 'microsoft',
    display_name: 'Microsoft Entra ID (by tenant)',
    token_url: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    authorization_url: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
    client_auth: 'client_secret_post',
    url_param_defaults: { tenant: 'common' },
    default_scopes: ['offline_access'],
    rotates_refresh_token: true,
    // Previous refresh tokens are not revoked on rotation (team brief), so re-sending one is safe; a
    // day is far more than crash recovery needs and stays well inside their own lifetime.
    reuse_grace_seconds: DAY,
    refresh_token_idle_seconds: 90 * DAY,
  }),
  salesforce: define({
    key: 'salesforce',
    display_name: 'Salesforce',
    token_url: 'https://{instance}.salesforce.com/services/oauth2/token',
    authorization_url: 'https://{instance}.salesforce.com/services/oauth2/authorize',
    client_auth: 'client_secret_post',
    url_param_defaults: { instance: 'login' },
    reuse_grace_seconds: 0,
  }),
  hubspot: define({
    key: 'hubspot',
    display_name: 'HubSpot',
    token_url: 'https://api.hubapi.com/oauth/v1/token',
    authorization_url: 'https://app.hubspot.com/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
  }),
  slack: define({
    key: 'slack',
    display_name: 'Slack',
    token_url: 'https://slack.com/api/oauth.v2.access',
    authorization_url: 'https://slack.com/oauth/v2/authorize',
    client_auth: 'client_secret_post',
    errors_in_200_body: true,
    token_path: 'authed_user',
    account_id_fields: ['team.id', 'authed_user.id'],
    reuse_grace_seconds: 0,
  }),
  github: define({
    key: 'github',
    display_name: 'GitHub (OAuth app)',
    token_url: 'https://github.com/login/oauth/access_token',
    authorization_url: 'https://github.com/login/oauth/authorize',
    client_auth: 'client_secret_post',
    errors_in_200_body: true,
    accept_json_header: true,
  }),
  zoom: define({
    key: 'zoom',
    display_name: 'Zoom',
    token_url: 'https://zoom.us/oauth/token',
    authorization_url: 'https://zoom.us/oauth/authorize',
    client_auth: 'client_secret_basic',
  }),
  xero: define({
    key: 'xero',
    display_name: 'Xero',
    token_url: 'https://identity.xero.com/connect/token',
    authorization_url: 'https://login.xero.com/identity/connect/authorize',
    client_auth: 'client_secret_basic',
    default_scopes: ['offline_access'],
    rotates_refresh_token: true,
    reuse_grace_seconds: 1_800,
    refresh_token_idle_seconds: 60 * DAY,
  }),
  quickbooks: define({
    key: 'quickbooks',
    display_name: 'QuickBooks (Intuit)',
    token_url: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    authorization_url: 'https://appcenter.intuit.com/connect/oauth2',
    client_auth: 'client_secret_basic',
    grant_lifetime_seconds: 5 * YEAR,
  }),
  atlassian: define({
    key: 'atlassian',
    display_name: 'Atlassian (Jira, Confluence)',
    token_url: 'https://auth.atlassian.com/oauth/token',
    authorization_url: 'https://auth.atlassian.com/authorize',
    client_auth: 'client_secret_post',
    default_scopes: ['offline_access'],
    authorization_params: { audience: 'api.atlassian.com', prompt: 'consent' },
    rotates_refresh_token: true,
    // ~10 minutes of leeway for the previous token (team brief); kept as modelled.
    reuse_grace_seconds: 600,
  }),
  box: define({
    key: 'box',
    display_name: 'Box',
    token_url: 'https://api.box.com/oauth2/token',
    authorization_url: 'https://account.box.com/api/oauth2/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    refresh_token_idle_seconds: 60 * DAY,
  }),
  dropbox: define({
    key: 'dropbox',
    display_name: 'Dropbox',
    token_url: 'https://api.dropboxapi.com/oauth2/token',
    authorization_url: 'https://www.dropbox.com/oauth2/authorize',
    client_auth: 'client_secret_post',
    authorization_params: { token_access_type: 'offline' },
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
    account_id_fields: ['account_id'],
  }),
  airtable: define({
    key: 'airtable',
    display_name: 'Airtable',
    token_url: 'https://airtable.com/oauth2/v1/token',
    authorization_url: 'https://airtable.com/oauth2/v1/authorize',
    client_auth: 'client_secret_basic',
  }),
  zendesk: define({
    key: 'zendesk',
    display_name: 'Zendesk',
    token_url: 'https://{subdomain}.zendesk.com/oauth/tokens',
    authorization_url: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
    client_auth: 'client_secret_post',
    // Ask for an explicit access-token lifetime so it is known instead of guessed (a client reading
    // "no expiry" as "never" loses the grant).
    refresh_params: { expires_in: '86400' },
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
  }),
  asana: define({
    key: 'asana',
    display_name: 'Asana',
    token_url: 'https://app.asana.com/-/oauth_token',
    authorization_url: 'https://app.asana.com/-/oauth_authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
  }),
  linkedin: define({
    key: 'linkedin',
    display_name: 'LinkedIn',
    token_url: 'https://www.linkedin.com/oauth/v2/accessToken',
    authorization_url: 'https://www.linkedin.com/oauth/v2/authorization',
    client_auth: 'client_secret_post',
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
    grant_lifetime_seconds: YEAR,
  }),
  shopify: define({
    key: 'shopify',
    display_name: 'Shopify',
    token_url: 'https://{shop}.myshopify.com/admin/oauth/access_token',
    authorization_url: 'https://{shop}.myshopify.com/admin/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
  }),
  notion: define({
    key: 'notion',
    display_name: 'Notion',
    token_url: 'https://api.notion.com/v1/oauth/token',
    authorization_url: 'https://api.notion.com/v1/oauth/authorize',
    client_auth: 'client_secret_basic',
    authorization_params: { owner: 'user' },
    json_body: true,
    expiry_fallback: 'non_expiring',
  }),
  intercom: define({
    key: 'intercom',
    display_name: 'Intercom',
    token_url: 'https://api.intercom.io/auth/eagle/token',
    authorization_url: 'https://app.intercom.com/oauth',
    client_auth: 'client_secret_post',
    expiry_fallback: 'non_expiring',
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
  }),
  linear: define({
    key: 'linear',
    display_name: 'Linear',
    token_url: 'https://api.linear.app/oauth/token',
    authorization_url: 'https://linear.app/oauth/authorize',
    client_auth: 'client_secret_post',
  }),
  docusign: define({
    key: 'docusign',
    display_name: 'DocuSign',
    token_url: 'https://account.docusign.com/oauth/token',
    authorization_url: 'https://account.docusign.com/oauth/auth',
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
  }),
  calendly: define({
    key: 'calendly',
    display_name: 'Calendly',
    token_url: 'https://auth.calendly.com/oauth/token',
    authorization_url: 'https://auth.calendly.com/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    refresh_token_idle_seconds: null,
  }),
  pipedrive: define({
    key: 'pipedrive',
    display_name: 'Pipedrive',
    token_url: 'https://oauth.pipedrive.com/oauth/token',
    authorization_url: 'https://oauth.pipedrive.com/oauth/authorize',
    client_auth: 'client_secret_basic',
  }),
  okta: define({
    key: 'okta',
    display_name: 'Okta',
    token_url: 'https://{domain}/oauth2/v1/token',
    authorization_url: 'https://{domain}/oauth2/v1/authorize',
    client_auth: 'client_secret_basic',
    default_scopes: ['openid', 'offline_access'],
    authorization_params: { prompt: 'consent' },
    // Default grace 30 s (team brief); kept as modelled.
    reuse_grace_seconds: 30,
  }),
  auth0: define({
    key: 'auth0',
    display_name: 'Auth0',
    token_url: 'https://{domain}/oauth/token',
    authorization_url: 'https://{domain}/authorize',
    client_auth: 'client_secret_post',
    default_scopes: ['openid', 'offline_access'],
    authorization_params: { prompt: 'consent' },
  }),
  cognito: define({
    key: 'cognito',
    display_name: 'AWS Cognito',
    token_url: 'https://{domain}/oauth2/token',
    authorization_url: 'https://{domain}/oauth2/authorize',
    client_auth: 'client_secret_basic',
  }),
  zoho: define({
    key: 'zoho',
    display_name: 'Zoho (per data centre)',
    token_url: 'https://accounts.{dc}/oauth/v2/token',
    authorization_url: 'https://accounts.{dc}/oauth/v2/auth',
    client_auth: 'client_secret_post',
    url_param_defaults: { dc: 'zoho.com' },
    authorization_params: { access_type: 'offline' },
    rotates_refresh_token: false,
  }),
  reddit: define({
    key: 'reddit',
    display_name: 'Reddit',
    token_url: 'https://www.reddit.com/api/v1/access_token',
    authorization_url: 'https://www.reddit.com/api/v1/authorize',
    client_auth: 'client_secret_basic',
    authorization_params: { duration: 'permanent' },
  }),
  adobe_sign: define({
    key: 'adobe_sign',
    display_name: 'Adobe Acrobat Sign',
    token_url: 'https://api.{shard}.adobesign.com/oauth/v2/refresh',
    authorization_url: null,
    client_auth: 'client_secret_post',
    refresh_token_idle_seconds: 60 * DAY,
  }),
  clickup: define({
    key: 'clickup',
    display_name: 'ClickUp',
    token_url: 'https://api.clickup.com/api/v2/oauth/token',
    authorization_url: null,
    client_auth: 'client_secret_post',
    expiry_fallback: 'non_expiring',
  }),
  figma: define({
    key: 'figma',
    display_name: 'Figma',
    token_url: 'https://api.figma.com/v1/oauth/token',
    authorization_url: 'https://www.figma.com/oauth',
    client_auth: 'client_secret_post',
    rotates_refresh_token: false,
  }),
  miro: define({
    key: 'miro',
    display_name: 'Miro',
    token_url: 'https://api.miro.com/v1/oauth/token',
    authorization_url: null,
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    refresh_token_idle_seconds: 60 * DAY,
  }),
  monday: define({
    key: 'monday',
    display_name: 'monday.com',
    token_url: 'https://auth.monday.com/oauth_ms/oauth/token',
    authorization_url: 'https://auth.monday.com/oauth2/authorize',
    client_auth: 'client_secret_post',
  }),
  spotify: define({
    key: 'spotify',
    display_name: 'Spotify',
    token_url: 'https://accounts.spotify.com/api/token',
    authorization_url: null,
    client_auth: 'client_secret_basic',
    grant_lifetime_seconds: SIX_MONTHS,
  }),
  twitter: define({
    key: 'twitter',
    display_name: 'X (Twitter)',
    token_url: 'https://api.x.com/2/oauth2/token',
    authorization_url: 'https://x.com/i/oauth2/authorize',
    client_auth: 'client_secret_basic',
    default_scopes: ['offline.access'],
  }),
  discord: define({
    key: 'discord',
    display_name: 'Discord',
    token_url: 'https://discord.com/api/oauth2/token',
    authorization_url: 'https://discord.com/oauth2/authorize',
    client_auth: 'client_secret_post',
  }),
  twitch: define({
    key: 'twitch',
    display_name: 'Twitch',
    token_url: 'https://id.twitch.tv/oauth2/token',
    authorization_url: 'https://id.twitch.tv/oauth2/authorize',
    client_auth: 'client_secret_post',
  }),
  stripe_connect: define({
    key: 'stripe_connect',
    display_name: 'Stripe Connect (OAuth, Standard accounts)',
    token_url: null,
    authorization_url: null,
    client_auth: 'client_secret_post',
  }),
  square: define({
    key: 'square',
    display_name: 'Square',
    token_url: 'https://connect.squareup.com/oauth2/token',
    authorization_url: null,
    client_auth: 'client_secret_post',
    json_body: true,
    rotates_refresh_token: false,
    refresh_token_idle_seconds: null,
  }),
  mailchimp: define({
    key: 'mailchimp',
    display_name: 'Mailchimp',
    token_url: null,
    authorization_url: null,
    client_auth: 'client_secret_post',
    expiry_fallback: 'non_expiring',
  }),
  constant_contact: define({
    key: 'constant_contact',
    display_name: 'Constant Contact',
    token_url: null,
    authorization_url: null,
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
  }),
  typeform: define({
    key: 'typeform',
    display_name: 'Typeform',
    token_url: null,
    authorization_url: null,
    client_auth: 'client_secret_post',
  }),
  webflow: define({
    key: 'webflow',
    display_name: 'Webflow',
    token_url: null,
    authorization_url: null,
    client_auth: 'client_secret_post',
  }),
  wrike: define({
    key: 'wrike',
    display_name: 'Wrike',
    token_url: null,
    authorization_url: 'https://login.wrike.com/oauth2/authorize/v4',
    client_auth: 'client_secret_post',
  }),
  smartsheet: define({
    key: 'smartsheet',
    display_name: 'Smartsheet',
    token_url: 'https://api.smartsheet.com/2.0/token',
    authorization_url: null,
    client_auth: 'client_secret_post',
  }),
  procore: define({
    key: 'procore',
    display_name: 'Procore',
    token_url: 'https://login.procore.com/oauth/token',
    authorization_url: 'https://login.procore.com/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
  }),
  servicetitan: define({
    key: 'servicetitan',
    display_name: 'ServiceTitan',
    token_url: 'https://auth.servicetitan.io/connect/token',
    authorization_url: null,
    client_auth: 'client_secret_post',
  }),
  netsuite: define({
    key: 'netsuite',
    display_name: 'NetSuite (Oracle)',
    token_url: 'https://{account}.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token',
    authorization_url: 'https://{account}.app.netsuite.com/app/login/oauth2/authorize.nl',
    client_auth: 'client_secret_basic',
  }),
  sage: define({
    key: 'sage',
    display_name: 'Sage Business Cloud Accounting',
    token_url: null,
    authorization_url: 'https://www.sageone.com/oauth2/auth/central',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    refresh_token_idle_seconds: 31 * DAY,
  }),
  freshbooks: define({
    key: 'freshbooks',
    display_name: 'FreshBooks',
    token_url: null,
    authorization_url: null,
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
  }),
  gusto: define({
    key: 'gusto',
    display_name: 'Gusto',
    token_url: 'https://api.gusto.com/oauth/token',
    authorization_url: 'https://api.gusto.com/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
  }),
  deel: define({
    key: 'deel',
    display_name: 'Deel',
    token_url: 'https://app.deel.com/oauth2/tokens',
    authorization_url: 'https://app.deel.com/oauth2/authorize',
    client_auth: 'client_secret_basic',
  }),
  keycloak: define({
    key: 'keycloak',
    display_name: 'Keycloak',
    token_url: 'https://{domain}/realms/{realm}/protocol/openid-connect/token',
    authorization_url: 'https://{domain}/realms/{realm}/protocol/openid-connect/auth',
    client_auth: 'client_secret_basic',
    default_scopes: ['openid'],
  }),
  github_app: define({
    key: 'github_app',
    display_name: 'GitHub App (user tokens)',
    token_url: 'https://github.com/login/oauth/access_token',
    authorization_url: 'https://github.com/login/oauth/authorize',
    client_auth: 'client_secret_post',
    errors_in_200_body: true,
    accept_json_header: true,
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    refresh_token_idle_seconds: SIX_MONTHS,
  }),
  todoist: define({
    key: 'todoist',
    display_name: 'Todoist',
    token_url: null,
    authorization_url: null,
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
  }),
  make: define({
    key: 'make',
    display_name: 'Make',
    token_url: null,
    authorization_url: null,
    client_auth: 'client_secret_post',
  }),
  cybersource: define({
    key: 'cybersource',
    display_name: 'Cybersource',
    token_url: 'https://api-ma.cybersource.com/oauth2/v3/token',
    authorization_url: null,
    client_auth: 'client_secret_post',
    refresh_token_idle_seconds: YEAR,
  }),
  lightspeed: define({
    key: 'lightspeed',
    display_name: 'Lightspeed (vendor API)',
    token_url: 'https://accounts.lightspeed.app/oauth/token',
    authorization_url: null,
    client_auth: 'client_secret_post',
  }),
  sendcloud: define({
    key: 'sendcloud',
    display_name: 'Sendcloud',
    token_url: 'https://account.sendcloud.com/oauth2/token',
    authorization_url: null,
    client_auth: 'client_secret_basic',
  }),
  reltio: define({
    key: 'reltio',
    display_name: 'Reltio',
    token_url: 'https://auth.reltio.com/oauth/token',
    authorization_url: null,
    client_auth: 'client_secret_basic',
    rotates_refresh_token: false,
  }),
  custom: define({
    key: 'custom',
    display_name: 'Custom OAuth 2.0 provider',
    token_url: null,
    authorization_url: null,
    // RFC 6749 §2.3.1: servers must support basic for clients with a password; post is optional.
    client_auth: 'client_secret_basic',
    // Nothing is known about a custom provider, so assume the strictest behaviour: it rotates and a
    // re-sent refresh token revokes the grant (RFC 9700 §4.14.2). Assuming leniency could burn a
    // grant; assuming strictness only forgoes re-sending after an ambiguous failure.
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
  }),
});
