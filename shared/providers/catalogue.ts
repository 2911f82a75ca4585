import type { ProviderDefinition } from './schema';

/**
 * The built-in provider catalogue: what each provider needs for refreshing (RFC 6749 §6) and how it
 * behaves when refresh tokens rotate (RFC 9700 §4.14.2). Facts come from the brief's providers.md;
 * anything marked "(verify)" in `notes` is reported by integrators but not confirmed in the
 * provider's own documentation.
 *
 * Where rotation is optional or configurable on the provider side (Salesforce, Slack, Okta, ...),
 * the entry models the strict case (rotates, no grace): treating a non-rotating provider as strict
 * costs at most an unnecessary re-authorization after an ambiguous failure, while treating a strict
 * provider as lenient re-sends a spent refresh token, which can revoke the whole grant.
 */

const DAY = 86_400;

/** Fields every entry must state; everything else has a conservative default in {@link define}. */
type ProviderSpec = Pick<
  ProviderDefinition,
  | 'key'
  | 'display_name'
  | 'token_url'
  | 'authorization_url'
  | 'client_auth'
  | 'rotates_refresh_token'
  | 'reuse_grace_seconds'
> &
  Partial<ProviderDefinition>;

function define(spec: ProviderSpec): ProviderDefinition {
  const definition: ProviderDefinition = {
    refresh_params: {},
    url_param_defaults: {},
    default_scopes: [],
    authorization_params: {},
    refresh_token_idle_expiry_seconds: null,
    expiry_fallback: 'jwt_exp_then_previous',
    errors_in_200_body: false,
    token_path: null,
    accept_json_header: false,
    json_body: false,
    notes: '',
    ...spec,
  };
  // Frozen all the way down: resolveIntegration spreads these objects, nobody may edit them.
  Object.freeze(definition.refresh_params);
  Object.freeze(definition.url_param_defaults);
  Object.freeze(definition.default_scopes);
  Object.freeze(definition.authorization_params);
  return Object.freeze(definition);
}

/** Built-in providers by key (the integration's `provider`). `custom` has no defaults to offer. */
export const PROVIDERS: Readonly<Record<string, ProviderDefinition>> = Object.freeze({
  google: define({
    key: 'google',
    display_name: 'Google',
    token_url: 'https://oauth2.googleapis.com/token',
    authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth',
    client_auth: 'client_secret_post',
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
    // "Six months unused"; 180 days is the conservative reading.
    refresh_token_idle_expiry_seconds: 180 * DAY,
    authorization_params: { access_type: 'offline', prompt: 'consent' },
    notes:
      'Refresh responses usually omit refresh_token: keep the old one. Apps in "Testing" publishing ' +
      'status lose refresh tokens after 7 days. About 100 live refresh tokens per account per client; ' +
      'older ones die silently. A refresh token unused for 6 months dies.',
  }),
  microsoft: define({
    key: 'microsoft',
    display_name: 'Microsoft (Entra ID)',
    token_url: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    authorization_url: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize',
    client_auth: 'client_secret_post',
    url_param_defaults: { tenant: 'common' },
    default_scopes: ['offline_access'],
    rotates_refresh_token: true,
    // Previous refresh tokens are not revoked on rotation, so re-sending one is safe; a day is far
    // more than crash recovery needs and stays well inside their own lifetime.
    reuse_grace_seconds: DAY,
    refresh_token_idle_expiry_seconds: 90 * DAY,
    notes:
      'New refresh token on every refresh; old ones are not revoked. Refresh tokens ~90 days sliding. ' +
      'Access tokens are large JWTs (2-4 KB). offline_access suffices for a refresh token, so no ' +
      'prompt=consent by default (it would force the consent screen on every sign-in).',
  }),
  salesforce: define({
    key: 'salesforce',
    display_name: 'Salesforce',
    token_url: 'https://{instance}.salesforce.com/services/oauth2/token',
    authorization_url: 'https://{instance}.salesforce.com/services/oauth2/authorize',
    client_auth: 'client_secret_post',
    url_param_defaults: { instance: 'login' },
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes:
      'instance: "login" (production), "test" (sandbox) or a My Domain such as "acme.my". Rotation is ' +
      'opt-in per connected app; when on, the previous refresh token is invalidated with no grace, so ' +
      'the strict case is modelled. Responses have no expires_in (session policy decides): set ' +
      'refresh.margin/keepalive or rely on the default lifetime. Keep instance_url from the response.',
  }),
  hubspot: define({
    key: 'hubspot',
    display_name: 'HubSpot',
    token_url: 'https://api.hubapi.com/oauth/v1/token',
    authorization_url: 'https://app.hubspot.com/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
    notes: 'Access tokens last 30 minutes.',
  }),
  slack: define({
    key: 'slack',
    display_name: 'Slack',
    token_url: 'https://slack.com/api/oauth.v2.access',
    authorization_url: 'https://slack.com/oauth/v2/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    errors_in_200_body: true,
    token_path: 'authed_user',
    notes:
      'Errors come as HTTP 200 with {"ok": false, "error"}. Tokens expire (and refresh) only with ' +
      'token rotation enabled on the app. The user token is nested under authed_user; bot-token ' +
      'responses carry it at the top level (verify which shape refresh responses use).',
  }),
  github: define({
    key: 'github',
    display_name: 'GitHub (OAuth app)',
    token_url: 'https://github.com/login/oauth/access_token',
    authorization_url: 'https://github.com/login/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    errors_in_200_body: true,
    accept_json_header: true,
    notes:
      'Answers form-encoded unless sent Accept: application/json; errors come as HTTP 200 with ' +
      '"error". Tokens never expire (and there is no refresh token) unless expiring user tokens are ' +
      'enabled; then refresh tokens rotate.',
  }),
  zoom: define({
    key: 'zoom',
    display_name: 'Zoom',
    token_url: 'https://zoom.us/oauth/token',
    authorization_url: 'https://zoom.us/oauth/authorize',
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes: 'Rotates on every refresh; grace for the previous token unknown, strict assumed (verify).',
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
    refresh_token_idle_expiry_seconds: 60 * DAY,
    notes:
      'Single-use refresh tokens with a 30-minute grace for the previous one; 60 days unused kills a ' +
      'refresh token. Basic or post both accepted.',
  }),
  quickbooks: define({
    key: 'quickbooks',
    display_name: 'QuickBooks (Intuit)',
    token_url: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
    authorization_url: 'https://appcenter.intuit.com/connect/oauth2',
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes:
      'The refresh token may change on any refresh: always store the returned one. Refresh tokens ' +
      'hard-expire after 5 years (formerly 100 days rolling). Grace for the previous token unknown, ' +
      'strict assumed (verify).',
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
    reuse_grace_seconds: 600,
    refresh_token_idle_expiry_seconds: 90 * DAY,
    notes:
      'Rotating; the previous token has ~10 min leeway, reuse outside it revokes the whole family. ' +
      '90 days inactivity / 365 days absolute expiry.',
  }),
  box: define({
    key: 'box',
    display_name: 'Box',
    token_url: 'https://api.box.com/oauth2/token',
    authorization_url: 'https://account.box.com/api/oauth2/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    refresh_token_idle_expiry_seconds: 60 * DAY,
    notes: 'Single-use refresh tokens, valid 60 days.',
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
    notes: 'token_access_type=offline at authorization yields a long-lived refresh token. Post or basic.',
  }),
  airtable: define({
    key: 'airtable',
    display_name: 'Airtable',
    token_url: 'https://airtable.com/oauth2/v1/token',
    authorization_url: 'https://airtable.com/oauth2/v1/authorize',
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes: 'Single-use refresh tokens. Authorization requires PKCE.',
  }),
  zendesk: define({
    key: 'zendesk',
    display_name: 'Zendesk',
    token_url: 'https://{subdomain}.zendesk.com/oauth/tokens',
    authorization_url: 'https://{subdomain}.zendesk.com/oauth/authorizations/new',
    client_auth: 'client_secret_post',
    // Without an explicit expires_in Zendesk omits it from the response; asking for one makes the
    // lifetime known instead of guessed (a client reading "no expiry" as "never" loses the grant).
    refresh_params: { expires_in: '86400' },
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    refresh_token_idle_expiry_seconds: 30 * DAY,
    notes:
      'subdomain: the account subdomain, from url_params or the connection metadata (no default). ' +
      'Single-use refresh tokens (~30 days). Omits expires_in unless requested at token creation; the ' +
      'expires_in refresh parameter (300-172800 s) asks for one (verify the accepted range).',
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
    notes:
      'Refresh tokens only for approved apps; they last 365 days from issue (absolute, not idle), ' +
      'after which the user must re-authorize.',
  }),
  shopify: define({
    key: 'shopify',
    display_name: 'Shopify',
    token_url: 'https://{shop}.myshopify.com/admin/oauth/access_token',
    authorization_url: 'https://{shop}.myshopify.com/admin/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes:
      'shop: the store name without .myshopify.com, from the connection metadata (no default). ' +
      'Expiring offline tokens rotate (grace unknown, strict assumed, verify); older offline tokens ' +
      'never expire and have nothing to refresh.',
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
    rotates_refresh_token: false,
    reuse_grace_seconds: null,
    notes: 'Tokens do not expire: nothing to refresh, keep-alive not needed. JSON request body.',
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
    notes: 'Tokens do not expire.',
  }),
  linear: define({
    key: 'linear',
    display_name: 'Linear',
    token_url: 'https://api.linear.app/oauth/token',
    authorization_url: 'https://linear.app/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes: 'Refresh tokens introduced in 2025; rotation (verify), grace unknown, strict assumed.',
  }),
  docusign: define({
    key: 'docusign',
    display_name: 'DocuSign',
    token_url: 'https://account.docusign.com/oauth/token',
    authorization_url: 'https://account.docusign.com/oauth/auth',
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes:
      'Demo environment: override token_url/authorization_url with account-d.docusign.com. Rotating; ' +
      'grace unknown, strict assumed (verify).',
  }),
  calendly: define({
    key: 'calendly',
    display_name: 'Calendly',
    token_url: 'https://auth.calendly.com/oauth/token',
    authorization_url: 'https://auth.calendly.com/oauth/authorize',
    client_auth: 'client_secret_post',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes: 'Client auth post (verify); rotation (verify), grace unknown, strict assumed.',
  }),
  pipedrive: define({
    key: 'pipedrive',
    display_name: 'Pipedrive',
    token_url: 'https://oauth.pipedrive.com/oauth/token',
    authorization_url: 'https://oauth.pipedrive.com/oauth/authorize',
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes:
      'Rotation (verify): unknown, strict assumed. Keep api_domain from the response: API calls go ' +
      'to the company domain.',
  }),
  okta: define({
    key: 'okta',
    display_name: 'Okta',
    token_url: 'https://{domain}/oauth2/v1/token',
    authorization_url: 'https://{domain}/oauth2/v1/authorize',
    client_auth: 'client_secret_basic',
    default_scopes: ['openid', 'offline_access'],
    authorization_params: { prompt: 'consent' },
    rotates_refresh_token: true,
    reuse_grace_seconds: 30,
    notes:
      'domain: the Okta org domain (e.g. acme.okta.com), no default. Custom authorization servers use ' +
      '/oauth2/{authServerId}/v1/token: override token_url. Rotation is configurable (default grace ' +
      '30 s); reuse outside the grace revokes the family. Basic or post.',
  }),
  auth0: define({
    key: 'auth0',
    display_name: 'Auth0',
    token_url: 'https://{domain}/oauth/token',
    authorization_url: 'https://{domain}/authorize',
    client_auth: 'client_secret_post',
    default_scopes: ['openid', 'offline_access'],
    authorization_params: { prompt: 'consent' },
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    notes:
      'domain: the tenant or custom domain (e.g. acme.eu.auth0.com), no default. Rotation and its ' +
      'reuse interval are configurable (interval 0 assumed); reuse outside it revokes the family. ' +
      'Basic or post.',
  }),
  cognito: define({
    key: 'cognito',
    display_name: 'AWS Cognito',
    token_url: 'https://{domain}/oauth2/token',
    authorization_url: 'https://{domain}/oauth2/authorize',
    client_auth: 'client_secret_basic',
    rotates_refresh_token: true,
    // Configurable 0-60 s retry grace: 0 is the only value true for every user pool.
    reuse_grace_seconds: 0,
    notes:
      'domain: the user pool domain (e.g. acme.auth.eu-west-1.amazoncognito.com), no default. ' +
      'Refresh-token rotation is optional, with a 0-60 s retry grace; strict assumed.',
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
    notes: 'token_url must be given by the integration.',
  }),
});
