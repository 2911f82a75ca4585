import { DAY, deepFreeze, PROVIDERS, SIX_MONTHS, YEAR } from './catalogue';
import {
  type DocumentedProvider,
  definitionProblems,
  type ProviderBehaviours,
  type ProviderDefinition,
  type ProviderDocs,
  type Quirk,
} from './schema';

/**
 * The provider catalogue's documentation: for each provider of catalogue.ts (same keys), what its
 * documentation says about the behaviours the service acts on. `GET /v1/providers` shows it; nothing
 * that refreshes tokens imports this file (catalogue.ts holds what they need).
 *
 * - `behaviours` and `quirks`: what the provider's documentation says, each with the page that says
 *   it (`source`), or explicitly unknown (`known: false`, with why). A value read on a page other
 *   than the provider's own is marked `third_party`. Nothing here is a guess.
 * - `notes`: operator notes (placeholders as `name: ...`, modelling choices). Not a source of facts.
 *
 * The flat fields of catalogue.ts follow every behaviour documented here; {@link documentCatalogue}
 * checks it (definitionProblems in schema.ts) when this file loads, and the unit tests check it
 * too. Change a documented behaviour and its flat field together.
 */

type Fact<T> =
  | { known: true; value: T; source: string; third_party?: true; note?: string }
  | { known: false; note: string; checked?: string };

/** A behaviour stated on `source`. */
function doc<T>(value: T, source: string, note?: string): Fact<T> {
  return note === undefined ? { known: true, value, source } : { known: true, value, source, note };
}

/** A behaviour read on a page other than the provider's own documentation. */
function thirdParty<T>(value: T, source: string, note?: string): Fact<T> {
  return { ...(doc(value, source, note) as Fact<T> & { known: true }), third_party: true };
}

/** A behaviour the documentation read does not state. */
function unknown(note: string, checked?: string): Fact<never> {
  return checked === undefined ? { known: false, note } : { known: false, note, checked };
}

function quirk(text: string, source: string, third_party?: true): Quirk {
  return third_party ? { text, source, third_party } : { text, source };
}

const NOT_STATED = 'not stated in the documentation read';
const FROM_BRIEF = 'from the team brief (providers.md); not confirmed on a provider page';

/** One provider's documentation as written below; what is not given is unknown or empty. */
interface DocsSpec {
  /** The provider page read for this entry: unknown behaviours name it as `checked`. */
  readonly docs?: string;
  readonly behaviours?: Partial<ProviderBehaviours>;
  readonly quirks?: readonly Quirk[];
  readonly notes?: string;
}

/** Builds a provider's documentation: behaviours not given are unknown. */
function documentation(spec: DocsSpec): ProviderDocs {
  const missing = unknown(NOT_STATED, spec.docs);
  return deepFreeze({
    notes: spec.notes ?? '',
    behaviours: {
      token_url: missing,
      client_auth: missing,
      refresh_params: missing,
      rotates_refresh_token: missing,
      reuse_grace_seconds: missing,
      grant_lifetime_seconds: missing,
      refresh_token_idle_seconds: missing,
      expires_in: missing,
      ...spec.behaviours,
    },
    quirks: [...(spec.quirks ?? [])],
  });
}

/** Documentation pages, each read for this catalogue (see the behaviours citing them). */
const SRC = {
  google: 'https://developers.google.com/identity/protocols/oauth2',
  googleTesting: 'https://wiki.dolibarr.org/index.php/Special:MobileDiff/61572',
  microsoftQa:
    'https://learn.microsoft.com/en-us/answers/questions/1665481/when-and-how-is-a-refresh-token-extended',
  microsoft: 'https://learn.microsoft.com/en-us/entra/identity-platform/refresh-tokens',
  salesforce:
    'https://help.salesforce.com/apex/HTViewHelpDoc?id=remoteaccess_oauth_refresh_token_flow.htm&language=en_US',
  hubspotExpiry:
    'https://developers.hubspot.com/changelog/upcoming-expiration-of-oauth-access-tokens-is-changing',
  hubspotV3: 'https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide',
  githubApp:
    'https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens',
  zoomRooms: 'https://developers.zoom.us/docs/rooms/za/za-digi-sign-oauth/',
  intuitSdk: 'https://github.com/intuit/QuickBooks-V3-Java-SDK/releases/tag/v6.5.4',
  intuitFaq:
    'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq',
  airbyteQuickbooks: 'https://github.com/airbytehq/airbyte/issues/7296',
  jiraJs: 'https://mrrefactoring.github.io/jira.js/api/interfaces/index.OAuth2TokenResponse',
  box: 'https://developer.box.com/guides/authentication/tokens/refresh',
  dropbox: 'https://dropbox.tech/developers/using-oauth-2-0-with-offline-access',
  airtable: 'https://airtable.com/developers/web/api/oauth-reference',
  nangoAirtable: 'https://nango.dev/blog/airtable-oauth-refresh-token-invalid-grant',
  zendeskAnnouncement:
    'https://support.zendesk.com/hc/en-us/articles/9182123625370-Announcing-support-for-OAuth-refresh-token-grant-type-and-OAuth-access-and-refresh-token-expirations',
  zendesk: 'https://developer.zendesk.com/documentation/api-basics/authentication/refresh-token',
  asana: 'https://developers.asana.com/docs/oauth',
  linkedin: 'https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens',
  nangoLinkedin: 'https://nango.dev/blog/linkedin-oauth-refresh-token-invalid-grant',
  shopifyChangelog: 'https://shopify.dev/changelog/offline-access-tokens-now-support-expiry-and-refresh',
  shopifyExpiring:
    'https://shopify.dev/docs/apps/build/security/credentials-and-data/use-expiring-offline-access-tokens',
  shopifyResilient:
    'https://shopify.dev/changelog/more-resilient-refreshes-for-expiring-offline-access-tokens',
  linear: 'https://linear.app/developers/oauth-2-0-authentication',
  nangoLinear: 'https://nango.dev/blog/linear-oauth-refresh-token-invalid-grant',
  docusign: 'https://developers.docusign.com/platform/auth/reference/obtain-access-token',
  calendlyRotation: 'https://developer.calendly.com/docs/authentication/refresh-token-rotation-guide',
  calendly: 'https://developer.calendly.com/how-to-access-calendly-data-on-behalf-of-authenticated-users',
  pipedrive: 'https://pipedrive.readme.io/docs/marketplace-oauth-authorization',
  auth0Rotation: 'https://auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-rotation',
  auth0Expiration: 'https://auth0.com/docs/secure/tokens/refresh-tokens/configure-refresh-token-expiration',
  cognito:
    'https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RefreshTokenRotationType.html',
  rfc9700: 'https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2',
  slackRotation: 'https://docs.slack.dev/authentication/using-token-rotation',
  slackExchange: 'https://api.slack.com/methods/oauth.v2.exchange',
  xero: 'https://developer.xero.com/faq/oauth2',
  oktaRotation: 'https://developer.okta.com/docs/guides/refresh-tokens/refresh-token-rotation/',
  okta: 'https://developer.okta.com/docs/guides/refresh-tokens/main/',
  notion: 'https://developers.notion.com/docs/authorization',
  notionRolling: 'https://docs.alterauth.com/providers/notion',
  notionNango:
    'https://nango-wari-support-for-crisp-plugin.mintlify.app/api-integrations/notion/how-to-register-your-own-notion-oauth-app',
  intercomFaq: 'https://intercom-developer-hub.readme.io/docs/authorization-faq',
  intercomOauth: 'https://intercom-developer-hub.readme.io/reference/using-oauth',
  intercomCommunity:
    'https://community.intercom.com/apps-integrations-25/clarification-needed-on-intercom-oauth-access-token-and-refresh-token-for-multitenant-apps-11092',
  zohoRefresh: 'https://zoho.com/accounts/protocol/oauth/web-apps/access-token-expiry.html',
  zohoLimits: 'https://www.zoho.com/pdfeditor/help/api/oauth-step4.html',
  zohoDataCentres: 'https://www.zoho.com/invoice/api/v3/oauth/',
  zohoOffline: 'https://manageengine.com/appcreator/help/api/v2/refresh-the-access-token.html',
  reddit: 'https://github.com/reddit/reddit/wiki/OAuth2',
  redditSocialAuth: 'https://python-social-auth.readthedocs.io/en/latest/backends/reddit.html',
  adobeSign: 'https://opensource.adobe.com/acrobat-sign/developer_guide/oauth.html',
  clickup: 'https://developer.clickup.com/docs/authentication',
  clickupGist: 'https://gist.github.com/ChangJoo-Park/2abe0ec8fbe946eb7782d4856c83f927',
  clickupTokens:
    'https://www.skills.sh/jeremylongshore/claude-code-plugins-plus-skills/clickup-security-basics',
  figmaTokenUrl: 'https://community.auth0.com/t/figma-tokenurl-migration/182728',
  figmaArctic: 'https://arcticjs.dev/providers/figma',
  figmaLogto: 'https://logto.io/oauth-providers-explorer/figma',
  miro: 'https://developers.miro.com/reference/oauth-20-authorization-v2',
  miroRefresh: 'https://developers.miro.com/reference/get-new-access-token-using-refresh-token',
  monday: 'https://developer.monday.com/apps/docs/oauth-2-1',
  mondayLegacy: 'https://developer.monday.com/apps/docs/oauth-2-0',
  spotify: 'https://developer.spotify.com/documentation/web-api/tutorials/refreshing-tokens',
  xAuthorizationCode: 'https://docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code',
  xUserToken: 'https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token',
  discord: 'https://discord.com/developers/docs/topics/oauth2',
  discordLogto: 'https://logto.io/oauth-providers-explorer/discord',
  discordSapphire: 'https://sapphirejs.dev/docs/Guide/plugins/API/oauth2-refresh-token',
  twitch: 'https://dev.twitch.tv/docs/authentication/refresh-tokens/',
  twitchValidate: 'https://dev.twitch.tv/docs/authentication/validate-tokens/',
  stripeConnect: 'https://docs.stripe.com/connect/oauth-standard-accounts',
  squareObtain: 'https://developer.squareup.com/reference/square/o-auth/obtain-token',
  squareOverview: 'https://developer.squareup.com/docs/oauth-api/overview',
  squareResponse: 'https://developer.squareup.com/reference/square/objects/ObtainTokenResponse',
  squareRefresh: 'https://developer.squareup.com/docs/oauth-api/refresh-revoke-limit-scope',
  mailchimpOauthlib: 'https://github.com/requests/requests-oauthlib/pull/169',
  constantContactServer: 'https://developer.constantcontact.com/api_guide/server_flow.html',
  constantContactClient: 'https://developer.constantcontact.com/api_guide/client_flow.html',
  constantContactNango:
    'https://nango.dev/docs/api-integrations/constant-contact/how-to-register-your-own-constant-contact-oauth-app',
  typeform: 'https://github.com/Typeform/js-api-client/issues/53',
  webflow: 'https://developers.webflow.com/data/reference/oauth-app',
  wrike: 'https://developers.wrike.com/oauth-20-authorization',
  smartsheetToken: 'https://developers.smartsheet.com/api/smartsheet/openapi/tokens/tokens-getorrefresh',
  smartsheetAuth: 'https://developers.smartsheet.com/api/smartsheet/guides/basics/authentication',
  procore: 'https://developers.procore.com/documentation/content/troubleshooting',
  procoreEndpoints: 'https://developers.procore.com/documentation/content/oauth-endpoints',
  serviceTitanNango: 'https://github.com/NangoHQ/nango/issues/1293',
  serviceTitanLib: 'https://app.unpkg.com/service-titan-api@1.0.5/files/src/auth/serviceTitanAuth.mjs',
  netsuiteRefresh: 'https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_160855594402.html',
  netsuiteConnect: 'https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/article_0907013045.html',
  netsuiteAuthorize:
    'https://docs.oracle.com/en/middleware/idm/identity-governance-connectors/12.2.1.3/cgnsc/oauth2_0_flow_to_generate_the_user-level_tokens.html',
  netsuiteUnified: 'https://docs.unified.to/skills/netsuite-oauth-app/SKILL.md',
  sage: 'https://developer.sage.com/accounting/guides/authenticating/authentication',
  sageV3: 'https://developer.sage.com/accounting/V3.0_docs/authentication/',
  sageUnified: 'https://docs.unified.to/skills/sage-accounting-oauth-app/SKILL.md',
  freshbooksDevart:
    'https://docs.devart.com/dotconnect/freshbooks/Devart.Data.FreshBooks~Devart.Data.FreshBooks.FreshBooksConnectionStringBuilder~RefreshToken.html',
  gustoTokens: 'https://docs.gusto.com/embedded-payroll/docs/company-access-tokens',
  gustoRefresh: 'https://docs.gusto.com/embedded-payroll/v2022-11-01/reference/refresh-access-token',
  gustoOauth: 'https://docs.gusto.com/app-integrations/docs/oauth2',
  gustoAuth: 'https://docs.gusto.com/app-integrations/docs/authentication',
  deelChangelog: 'https://developer.deel.com/changelog/v1-27',
  deelStart: 'https://developer.deel.com/v2.3.0/docs/getting-started-1',
  keycloakTimeouts:
    'https://docs.redhat.com/zh-cn/documentation/red_hat_build_of_keycloak/26.4/html/server_administration_guide/timeouts',
  keycloakRedHatEndpoint:
    'https://docs.redhat.com/en/documentation/red_hat_ansible_automation_platform/2.7/proc_offline_token_active',
  todoist: 'https://doist.github.io/todoist-sdk-typescript/api/functions/refreshAuthToken',
  make: 'https://developers.make.com/api-documentation/authentication/oauth-flow/token-expiration',
  cybersource:
    'https://developer.cybersource.com/docs/cybs/en-us/oauth/developer/all/rest/oauth/refreshing-the-refresh-token.html',
  lightspeed: 'https://lightspeed-vendors.readme.io/docs/refresh-token-and-automation',
  sendcloud: 'https://sendcloud.dev/api/v3/oauth2/token',
  reltio:
    'https://docs.reltio.com/explore/get-going-with-apis-and-rocs-utilities/reltio-rest-apis/explore-apis/authentication-api/refresh-token',
} as const;

/** The documentation of every provider of {@link PROVIDERS}, by the same key. */
export const PROVIDER_DOCS: Readonly<Record<string, ProviderDocs>> = Object.freeze({
  google: documentation({
    docs: SRC.google,
    behaviours: {
      token_url: unknown(FROM_BRIEF, SRC.google),
      rotates_refresh_token: unknown(`${FROM_BRIEF}: responses usually omit refresh_token`, SRC.google),
      refresh_token_idle_seconds: doc(
        SIX_MONTHS,
        SRC.google,
        'a refresh token that has not been used for six months stops working; 180 days modelled',
      ),
    },
    quirks: [
      quirk(
        'Refresh tokens are limited per client-user combination and per user across clients; past a limit the oldest ones stop working without notice.',
        SRC.google,
      ),
      quirk(
        'Google Workspace / Cloud organizations with session control policies end refresh tokens: users must re-authenticate.',
        SRC.google,
      ),
      quirk('A password change revokes refresh tokens that carry Gmail scopes.', SRC.google),
      quirk(
        'Apps in "Testing" publishing status get refresh tokens that expire after 7 days.',
        SRC.googleTesting,
        true,
      ),
    ],
    notes:
      'Refresh responses usually omit refresh_token: keep the old one. About 100 live refresh tokens per ' +
      'account per client (team brief).',
  }),
  microsoft: documentation({
    docs: SRC.microsoft,
    behaviours: {
      token_url: unknown(FROM_BRIEF, SRC.microsoft),
      rotates_refresh_token: thirdParty(
        true,
        SRC.microsoftQa,
        'each refresh returns a new refresh token to use instead of the old one',
      ),
      reuse_grace_seconds: unknown(`${FROM_BRIEF}: old refresh tokens are not revoked on rotation`),
      refresh_token_idle_seconds: thirdParty(
        90 * DAY,
        SRC.microsoftQa,
        'a refresh token lives at most 90 days (not configurable); each refresh issues a new one',
      ),
    },
    notes:
      'tenant: a tenant ID or domain, or common/organizations/consumers; default common. Access tokens are ' +
      'large JWTs (2-4 KB). offline_access suffices for a refresh token, so no prompt=consent by default ' +
      '(it would force the consent screen on every sign-in).',
  }),
  salesforce: documentation({
    docs: SRC.salesforce,
    behaviours: {
      rotates_refresh_token: unknown(
        'optional per connected app (refresh token rotation setting); the strict case is modelled',
        SRC.salesforce,
      ),
      reuse_grace_seconds: doc(
        0,
        SRC.salesforce,
        'with rotation on, the previous refresh token is invalidated',
      ),
    },
    quirks: [
      quirk(
        "The connected app's session timeout decides when an access token stops working, not a lifetime in the response.",
        SRC.salesforce,
      ),
      quirk(
        'Refresh token rotation is a connected-app option; when on, each refresh issues a new refresh token and invalidates the previous one.',
        SRC.salesforce,
      ),
    ],
    notes:
      'instance: "login" (production), "test" (sandbox) or a My Domain such as "acme.my"; default login. ' +
      'Responses have no expires_in (team brief): set refresh.margin/keepalive or rely on the default ' +
      'lifetime. Keep instance_url from the response.',
  }),
  hubspot: documentation({
    docs: SRC.hubspotV3,
    behaviours: {
      rotates_refresh_token: unknown(`${FROM_BRIEF}: no rotation`, SRC.hubspotV3),
      expires_in: doc(
        'always',
        SRC.hubspotExpiry,
        'expires_in always reflects the access token lifetime (30 minutes)',
      ),
    },
    quirks: [
      quirk('Access tokens expire 30 minutes after they are generated.', SRC.hubspotExpiry),
      quirk(
        'The v1 OAuth API is deprecated on 2027-02-16; the v3 token endpoints take every parameter in the request body.',
        SRC.hubspotV3,
      ),
    ],
  }),
  slack: documentation({
    docs: SRC.slackRotation,
    behaviours: {
      rotates_refresh_token: unknown(
        'only with token rotation enabled on the app; the strict case is modelled',
        SRC.slackRotation,
      ),
      reuse_grace_seconds: doc(0, SRC.slackRotation, 'with rotation, a used refresh token is revoked'),
    },
    quirks: [
      quirk(
        'Without token rotation access tokens never expire and there is no refresh token; with it they expire every 12 hours and each refresh token is revoked once used.',
        SRC.slackRotation,
      ),
      quirk(
        'Callers must check the ok field of every answer: errors are reported in the body.',
        SRC.slackExchange,
      ),
      quirk(
        "The code exchange names the workspace (team.id) and the user (authed_user.id); the service records them as the connection's account_id.",
        'https://api.slack.com/methods/oauth.v2.access',
      ),
    ],
    notes:
      'Errors come as HTTP 200 with {"ok": false, "error"}. The user token is nested under authed_user; ' +
      'bot-token responses carry it at the top level.',
  }),
  github: documentation({
    docs: SRC.githubApp,
    behaviours: {
      token_url: doc(
        'https://github.com/login/oauth/access_token',
        SRC.githubApp,
        'the token endpoint GitHub documents for refreshing user tokens',
      ),
      rotates_refresh_token: unknown(
        'OAuth app tokens do not expire and have no refresh token unless expiring user tokens apply; the strict case is modelled',
        SRC.githubApp,
      ),
    },
    notes:
      'Answers form-encoded unless sent Accept: application/json; errors come as HTTP 200 with "error" ' +
      '(team brief). See github_app for GitHub Apps with expiring user tokens.',
  }),
  zoom: documentation({
    docs: SRC.zoomRooms,
    behaviours: {
      token_url: unknown(FROM_BRIEF, SRC.zoomRooms),
      rotates_refresh_token: unknown(`${FROM_BRIEF}: rotates; grace unknown, strict modelled`, SRC.zoomRooms),
    },
    quirks: [
      quirk(
        'Access and refresh tokens are issued only when a user adds or authorizes the app; the authorization code expires in 5 minutes.',
        SRC.zoomRooms,
      ),
    ],
  }),
  xero: documentation({
    docs: SRC.xero,
    behaviours: {
      rotates_refresh_token: doc(
        true,
        SRC.xero,
        'replace the stored refresh token with the one each refresh returns',
      ),
      reuse_grace_seconds: doc(
        1_800,
        SRC.xero,
        'without a response, the existing refresh token can be retried for 30 minutes',
      ),
      refresh_token_idle_seconds: doc(60 * DAY, SRC.xero, 'unused refresh tokens expire after 60 days'),
    },
    quirks: [quirk('Access tokens expire after 30 minutes.', SRC.xero)],
    notes: 'Basic or post (team brief).',
  }),
  quickbooks: documentation({
    docs: SRC.intuitFaq,
    behaviours: {
      rotates_refresh_token: unknown(
        'the refresh token may change on a refresh; whether the previous one keeps working is not stated; strict modelled',
        SRC.intuitFaq,
      ),
      grant_lifetime_seconds: doc(
        5 * YEAR,
        SRC.intuitSdk,
        'refresh tokens have a maximum validity of five years (Intuit SDK release notes)',
      ),
      refresh_token_idle_seconds: unknown(
        'the release notes describe the former rule (valid while used at least every 100 days) without saying it still applies',
        SRC.intuitSdk,
      ),
    },
    quirks: [
      quirk(
        'Refresh tokens hard-expire after at most five years; the refresh response can report it (x_refresh_token_hard_expires_in when asked for).',
        SRC.intuitSdk,
      ),
      quirk(
        'The refresh token value changes about every 24 hours: always store the one returned.',
        SRC.airbyteQuickbooks,
        true,
      ),
    ],
  }),
  atlassian: documentation({
    behaviours: {
      rotates_refresh_token: thirdParty(
        true,
        SRC.jiraJs,
        'with offline_access, each refresh returns a new refresh token and the one sent is invalidated',
      ),
      reuse_grace_seconds: unknown(
        `${FROM_BRIEF}: about 10 minutes of leeway; reuse outside it revokes the family`,
      ),
      refresh_token_idle_seconds: unknown(`${FROM_BRIEF}: 90 days inactivity`),
      grant_lifetime_seconds: unknown(`${FROM_BRIEF}: 365 days absolute`),
    },
    quirks: [quirk('A refresh token is returned only when offline_access was requested.', SRC.jiraJs, true)],
  }),
  box: documentation({
    docs: SRC.box,
    behaviours: {
      rotates_refresh_token: doc(
        true,
        SRC.box,
        'each refresh invalidates the refresh token and returns a new one',
      ),
      reuse_grace_seconds: doc(0, SRC.box, 'a refresh token can be used only once'),
      refresh_token_idle_seconds: doc(
        60 * DAY,
        SRC.box,
        'a refresh token is valid for 60 days; each refresh returns a new one valid for another 60 days',
      ),
    },
  }),
  dropbox: documentation({
    docs: SRC.dropbox,
    behaviours: {
      rotates_refresh_token: unknown(`${FROM_BRIEF}: no rotation`, SRC.dropbox),
    },
    quirks: [
      quirk(
        'Access tokens are short-lived; a refresh token is returned only when authorization asks for token_access_type=offline.',
        SRC.dropbox,
      ),
      quirk(
        "The code exchange names the user (account_id); the service records it as the connection's account_id.",
        'https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token',
      ),
    ],
    notes: 'Post or basic (team brief).',
  }),
  airtable: documentation({
    docs: SRC.airtable,
    behaviours: {
      token_url: thirdParty('https://airtable.com/oauth2/v1/token', SRC.nangoAirtable),
      rotates_refresh_token: unknown(`${FROM_BRIEF}: single-use refresh tokens`, SRC.airtable),
    },
    quirks: [quirk('Authorization requires PKCE (code_challenge with S256).', SRC.airtable)],
  }),
  zendesk: documentation({
    docs: SRC.zendesk,
    behaviours: {
      rotates_refresh_token: doc(
        true,
        SRC.zendeskAnnouncement,
        'a successful refresh returns a refresh token and deletes the previous access and refresh tokens',
      ),
      reuse_grace_seconds: doc(0, SRC.zendeskAnnouncement, 'the previous refresh token is deleted'),
      expires_in: doc(
        'on_request',
        SRC.zendeskAnnouncement,
        'expires_in and refresh_token_expires_in may be passed to /oauth/tokens; a requested expiration is applied',
      ),
      refresh_token_idle_seconds: unknown(`${FROM_BRIEF}: about 30 days`, SRC.zendesk),
    },
    quirks: [
      quirk(
        'Token lifetimes are set by the expires_in and refresh_token_expires_in request parameters; ask for one rather than reading a missing expiry as "never".',
        SRC.zendeskAnnouncement,
      ),
      quirk(
        'Refresh tokens came with the 2025 rollout: Marketplace apps must use the refresh flow by 2026-01-31, all customers by 2026-04-30.',
        SRC.zendeskAnnouncement,
      ),
    ],
    notes:
      'subdomain: the account subdomain, from url_params or the connection metadata (no default). ' +
      'expires_in refresh parameter: 86400 s requested.',
  }),
  asana: documentation({
    docs: SRC.asana,
    behaviours: {
      token_url: doc('https://app.asana.com/-/oauth_token', SRC.asana),
      rotates_refresh_token: unknown(`${FROM_BRIEF}: no rotation`, SRC.asana),
    },
  }),
  linkedin: documentation({
    docs: SRC.linkedin,
    behaviours: {
      token_url: thirdParty('https://www.linkedin.com/oauth/v2/accessToken', SRC.nangoLinkedin),
      rotates_refresh_token: unknown(`${FROM_BRIEF}: no rotation`, SRC.linkedin),
      grant_lifetime_seconds: doc(
        YEAR,
        SRC.linkedin,
        'refresh tokens are valid 365 days from the initial authorization; refreshing does not extend them',
      ),
    },
    quirks: [
      quirk(
        'Programmatic refresh tokens are only for approved Marketing Developer Platform partners.',
        SRC.linkedin,
      ),
      quirk('Access tokens last 60 days; responses carry refresh_token_expires_in.', SRC.linkedin),
    ],
  }),
  shopify: documentation({
    docs: SRC.shopifyExpiring,
    behaviours: {
      rotates_refresh_token: doc(
        true,
        SRC.shopifyExpiring,
        'expiring offline tokens: Shopify replaces the refresh token every time the app uses it',
      ),
      reuse_grace_seconds: unknown(
        'the previous refresh token is kept until the app uses its replacement, not for a time window (see quirks)',
        SRC.shopifyResilient,
      ),
      expires_in: doc('always', SRC.shopifyChangelog, 'expiring offline tokens: expires_in 3600'),
    },
    quirks: [
      quirk(
        'Expiring offline access tokens last 60 minutes and come with a refresh token.',
        SRC.shopifyChangelog,
      ),
      quirk(
        'Non-expiring offline tokens stay valid until the app is uninstalled; public apps must use expiring tokens from 2027-01-01.',
        SRC.shopifyExpiring,
      ),
      quirk(
        'Since 2026-08-28 a refresh keeps the previous refresh token valid until the app starts using its replacement.',
        SRC.shopifyResilient,
      ),
    ],
    notes: 'shop: the store name without .myshopify.com, from the connection metadata (no default).',
  }),
  notion: documentation({
    docs: SRC.notion,
    behaviours: {
      rotates_refresh_token: unknown(
        'reports disagree: older ones say there is no refresh token, newer ones describe rolling refresh tokens (see quirks); the strict case is modelled',
        SRC.notion,
      ),
      expires_in: unknown(`${FROM_BRIEF}: access tokens do not expire`, SRC.notion),
    },
    quirks: [
      quirk(
        'Rolling refresh tokens: each refresh returns a new access token and refresh token and invalidates the old ones.',
        SRC.notionRolling,
        true,
      ),
      quirk('Earlier reports: no refresh token, and the access token never expires.', SRC.notionNango, true),
    ],
    notes:
      'JSON request body. Connections without a refresh token are served while valid (team brief: they do not expire).',
  }),
  intercom: documentation({
    docs: SRC.intercomOauth,
    behaviours: {
      token_url: doc('https://api.intercom.io/auth/eagle/token', SRC.intercomOauth),
      client_auth: doc(
        'client_secret_post',
        SRC.intercomOauth,
        'code, client_id and client_secret as parameters',
      ),
      expires_in: doc('never_expires', SRC.intercomFaq, 'OAuth tokens currently do not expire'),
    },
    quirks: [
      quirk('No refresh token is issued: a revoked token needs a new authorization.', SRC.intercomCommunity),
      quirk('The authorization code expires after about 5 minutes.', SRC.intercomOauth),
    ],
  }),
  linear: documentation({
    docs: SRC.linear,
    behaviours: {
      token_url: thirdParty('https://api.linear.app/oauth/token', SRC.nangoLinear),
    },
    quirks: [
      quirk(
        'OAuth apps created from 2025-10-01 get refresh tokens for user-initiated OAuth, with no way to turn them off; older apps must migrate by 2026-04-01.',
        SRC.linear,
      ),
    ],
  }),
  docusign: documentation({
    docs: SRC.docusign,
    behaviours: {
      client_auth: doc(
        'client_secret_basic',
        SRC.docusign,
        'Authorization: Basic base64(integration key:secret key)',
      ),
      rotates_refresh_token: doc(
        true,
        SRC.docusign,
        'POST /oauth/token exchanges a refresh token for an access token and a new refresh token',
      ),
    },
    notes: 'Demo environment: override token_url/authorization_url with account-d.docusign.com.',
  }),
  calendly: documentation({
    docs: SRC.calendly,
    behaviours: {
      rotates_refresh_token: doc(
        true,
        SRC.calendlyRotation,
        'single-use refresh tokens: each successful POST /oauth/token returns a new one',
      ),
      reuse_grace_seconds: doc(
        0,
        SRC.calendlyRotation,
        'a refresh token is revoked immediately after a successful POST /oauth/token',
      ),
      refresh_token_idle_seconds: doc(null, SRC.calendly, "refresh tokens don't expire until they are used"),
    },
    quirks: [quirk('Access tokens expire after 2 hours.', SRC.calendly)],
  }),
  pipedrive: documentation({
    docs: SRC.pipedrive,
    quirks: [
      quirk(
        'Tokens come from the oauth.pipedrive.com domain; authorization outside the Marketplace starts at /oauth/authorize.',
        SRC.pipedrive,
      ),
    ],
    notes: 'Keep api_domain from the response: API calls go to the company domain (team brief).',
  }),
  okta: documentation({
    docs: SRC.oktaRotation,
    behaviours: {
      rotates_refresh_token: unknown(
        'per app: persistent (the same refresh token until it expires) or rotating (the default for SPAs); the strict case is modelled',
        SRC.okta,
      ),
      reuse_grace_seconds: unknown(
        `the grace period is configured with rotation; ${FROM_BRIEF}: default 30 s`,
        SRC.oktaRotation,
      ),
    },
    quirks: [
      quirk(
        'With rotation, re-using a spent refresh token invalidates the most recently issued refresh token and every access token issued since the user authenticated.',
        SRC.oktaRotation,
      ),
      quirk(
        'A grace period can be configured with rotation: the previous refresh token stays valid for that long.',
        SRC.oktaRotation,
      ),
      quirk(
        'Persistent refresh tokens return the same refresh token on every refresh until their lifetime ends.',
        SRC.okta,
      ),
    ],
    notes:
      'domain: the Okta org domain (e.g. acme.okta.com), no default. Custom authorization servers use ' +
      '/oauth2/{authServerId}/v1/token: override token_url. Basic or post.',
  }),
  auth0: documentation({
    docs: SRC.auth0Rotation,
    behaviours: {
      rotates_refresh_token: unknown(
        'configured per application; the strict case is modelled',
        SRC.auth0Rotation,
      ),
      reuse_grace_seconds: unknown(
        'the reuse interval is configured per application; 0 modelled',
        SRC.auth0Rotation,
      ),
      grant_lifetime_seconds: unknown(
        'the maximum lifetime is configured per application',
        SRC.auth0Expiration,
      ),
      refresh_token_idle_seconds: unknown(
        'the idle lifetime is configured per application',
        SRC.auth0Expiration,
      ),
    },
    quirks: [
      quirk(
        'Rotation and its reuse interval (leeway) are set per application; within the interval only the previous refresh token may be exchanged without triggering reuse detection.',
        SRC.auth0Rotation,
      ),
      quirk(
        'Absolute (maximum) and idle refresh-token lifetimes are set per application; when disabled they are indefinite.',
        SRC.auth0Expiration,
      ),
    ],
    notes: 'domain: the tenant or custom domain (e.g. acme.eu.auth0.com), no default. Basic or post.',
  }),
  cognito: documentation({
    docs: SRC.cognito,
    behaviours: {
      rotates_refresh_token: unknown(
        'an app-client option (ENABLED or DISABLED); the strict case is modelled',
        SRC.cognito,
      ),
      reuse_grace_seconds: unknown(
        'RetryGracePeriodSeconds is set per app client (0-60); 0 is the only value true for every pool',
        SRC.cognito,
      ),
    },
    quirks: [
      quirk(
        'With rotation on, the submitted refresh token stays valid for RetryGracePeriodSeconds (0-60); 0 invalidates it immediately.',
        SRC.cognito,
      ),
    ],
    notes: 'domain: the user pool domain (e.g. acme.auth.eu-west-1.amazoncognito.com), no default.',
  }),
  zoho: documentation({
    docs: SRC.zohoRefresh,
    behaviours: {
      token_url: doc(
        'https://accounts.{dc}/oauth/v2/token',
        SRC.zohoRefresh,
        'the accounts server is specific to the user\'s data centre (the "location" of the authorization response)',
      ),
      client_auth: doc(
        'client_secret_post',
        SRC.zohoRefresh,
        'client_id and client_secret as request parameters',
      ),
      rotates_refresh_token: doc(
        false,
        SRC.zohoRefresh,
        'the refresh response carries a new access token only',
      ),
      expires_in: doc('always', SRC.zohoRefresh, 'expires_in 3600'),
    },
    quirks: [
      quirk(
        'A user has at most 20 refresh tokens per client: the 21st deletes the oldest. At most five refresh tokens can be created a minute.',
        SRC.zohoLimits,
      ),
      quirk(
        'One refresh token creates at most ten access tokens in ten minutes; past that, creation is blocked for the rest of the window.',
        SRC.zohoRefresh,
      ),
      quirk("The response names api_domain, the data centre's API host to call.", SRC.zohoRefresh),
      quirk('Canada uses accounts.zohocloud.ca (dc = zohocloud.ca).', SRC.zohoDataCentres),
      quirk(
        'A refresh token is returned only when authorization includes access_type=offline.',
        SRC.zohoOffline,
        true,
      ),
    ],
    notes:
      'dc: the data centre\'s accounts domain after "accounts." (zoho.com, zoho.eu, zoho.in, zoho.com.au, ' +
      'zoho.jp, zohocloud.ca, zoho.com.cn); default zoho.com.',
  }),
  reddit: documentation({
    docs: SRC.reddit,
    behaviours: {
      token_url: doc(
        'https://www.reddit.com/api/v1/access_token',
        SRC.reddit,
        'the wiki names /api/v1/access_token as the token endpoint (ssl.reddit.com in early revisions)',
      ),
    },
    quirks: [
      quirk(
        'A refresh token is issued only when authorization asks for duration=permanent; otherwise access lasts an hour.',
        SRC.redditSocialAuth,
        true,
      ),
      quirk('Refreshing requires the redirect_uri used at authorization.', SRC.redditSocialAuth, true),
    ],
  }),
  adobe_sign: documentation({
    docs: SRC.adobeSign,
    behaviours: {
      token_url: doc(
        'https://api.{shard}.adobesign.com/oauth/v2/refresh',
        SRC.adobeSign,
        "refresh grants go to /oauth/v2/refresh on the account's API access point",
      ),
      client_auth: doc('client_secret_post', SRC.adobeSign, 'client_id and client_secret in the form body'),
      refresh_token_idle_seconds: doc(
        60 * DAY,
        SRC.adobeSign,
        'a refresh token expires after 60 days of inactivity; each use resets it to 60 days',
      ),
      expires_in: doc('always', SRC.adobeSign, 'expires_in 3600'),
    },
    quirks: [
      quirk(
        "Refreshing uses a separate endpoint (/oauth/v2/refresh) on the customer's API access point, not the code-exchange endpoint.",
        SRC.adobeSign,
      ),
    ],
    notes:
      'shard: the API access point shard of the account (e.g. na1, na2, eu1, jp1), no default. The token URL ' +
      'is the refresh endpoint: import connections rather than using the connect flow (no authorization URL).',
  }),
  clickup: documentation({
    docs: SRC.clickup,
    behaviours: {
      token_url: thirdParty(
        'https://api.clickup.com/api/v2/oauth/token',
        SRC.clickupGist,
        'API host plus /oauth/token',
      ),
      expires_in: thirdParty(
        'never_expires',
        SRC.clickupTokens,
        'OAuth access tokens do not expire (can be revoked)',
      ),
    },
    quirks: [
      quirk(
        'Apps used by others authenticate with the authorization code flow, one token per user.',
        SRC.clickup,
      ),
    ],
    notes:
      'No refresh token: connections are imported without one. Authorization URL: give it in the integration.',
  }),
  figma: documentation({
    behaviours: {
      token_url: thirdParty('https://api.figma.com/v1/oauth/token', SRC.figmaTokenUrl),
      rotates_refresh_token: thirdParty(
        false,
        SRC.figmaArctic,
        'a refresh returns an access token and its expiry only',
      ),
    },
    quirks: [
      quirk(
        'The token endpoint moved to api.figma.com/v1/oauth/token; www.figma.com/api/oauth/token was retired in February 2025.',
        SRC.figmaTokenUrl,
        true,
      ),
      quirk('Authorization starts at https://www.figma.com/oauth.', SRC.figmaLogto, true),
    ],
  }),
  miro: documentation({
    docs: SRC.miro,
    behaviours: {
      token_url: doc('https://api.miro.com/v1/oauth/token', SRC.miroRefresh),
      client_auth: doc(
        'client_secret_post',
        SRC.miroRefresh,
        'client_id and client_secret as body parameters',
      ),
      rotates_refresh_token: doc(
        true,
        SRC.miro,
        'a new refresh token with each new access token; the old access and refresh tokens stop working',
      ),
      reuse_grace_seconds: doc(0, SRC.miro, 'the old refresh token is no longer valid'),
      refresh_token_idle_seconds: doc(
        60 * DAY,
        SRC.miro,
        'a refresh token expires in 60 days; each refresh issues a new one',
      ),
    },
    quirks: [
      quirk(
        'Expiring tokens (1-hour access, 60-day refresh) are chosen at app creation and cannot be changed; apps with non-expiring tokens get no refresh token.',
        SRC.miro,
      ),
    ],
    notes: 'Authorization URL: give it in the integration.',
  }),
  monday: documentation({
    docs: SRC.monday,
    behaviours: {
      token_url: doc(
        'https://auth.monday.com/oauth_ms/oauth/token',
        SRC.monday,
        'the OAuth 2.1 token endpoint',
      ),
    },
    quirks: [
      quirk('New apps use OAuth 2.1: PKCE, expiring access tokens and refresh tokens.', SRC.monday),
      quirk(
        'Legacy OAuth 2.0 tokens (from https://auth.monday.com/oauth2/token) never expire and have no refresh token; API version 2027-04 and later refuse them.',
        SRC.mondayLegacy,
      ),
    ],
  }),
  spotify: documentation({
    docs: SRC.spotify,
    behaviours: {
      token_url: doc('https://accounts.spotify.com/api/token', SRC.spotify),
      client_auth: doc(
        'client_secret_basic',
        SRC.spotify,
        'Authorization: Basic base64(client_id:client_secret) for the authorization code flow',
      ),
      grant_lifetime_seconds: doc(
        SIX_MONTHS,
        SRC.spotify,
        'refresh tokens last 6 months from authorization; refreshing does not extend them',
      ),
      expires_in: doc('always', SRC.spotify, 'expires_in is the access token lifetime (1 hour)'),
    },
    quirks: [
      quirk(
        'After 6 months the refresh token stops working whatever its use: build re-authorization in before then.',
        SRC.spotify,
      ),
    ],
    notes: 'Authorization URL: give it in the integration.',
  }),
  twitter: documentation({
    docs: SRC.xAuthorizationCode,
    behaviours: {
      token_url: doc('https://api.x.com/2/oauth2/token', SRC.xAuthorizationCode),
      client_auth: doc(
        'client_secret_basic',
        SRC.xUserToken,
        'confidential clients use HTTP Basic at the token endpoint',
      ),
    },
    quirks: [
      quirk(
        'A refresh token is issued only with the offline.access scope; access tokens otherwise last two hours.',
        SRC.xAuthorizationCode,
      ),
      quirk('Authorization code flow with PKCE.', SRC.xUserToken),
    ],
  }),
  discord: documentation({
    docs: SRC.discord,
    behaviours: {
      token_url: thirdParty('https://discord.com/api/oauth2/token', SRC.discordLogto),
    },
    quirks: [quirk('Access tokens are valid for 7 days (expires_in 604800).', SRC.discordSapphire, true)],
  }),
  twitch: documentation({
    docs: SRC.twitch,
    behaviours: {
      token_url: doc('https://id.twitch.tv/oauth2/token', SRC.twitch),
      expires_in: doc(
        'always',
        SRC.twitch,
        'expires_in tells the lifetime; tokens can become invalid earlier',
      ),
    },
    quirks: [
      quirk(
        'Tokens can become invalid before expires_in for other reasons; Twitch recommends reacting to 401 Unauthorized.',
        SRC.twitch,
      ),
      quirk('Apps keeping an OAuth session must validate the token at start and hourly.', SRC.twitchValidate),
      quirk('Only user access tokens from the authorization code flow can be refreshed.', SRC.twitch),
    ],
  }),
  stripe_connect: documentation({
    docs: SRC.stripeConnect,
    quirks: [
      quirk(
        'OAuth is not recommended for new Connect platforms; since June 2021 platforms using OAuth with read_write cannot connect Standard accounts controlled by another platform.',
        SRC.stripeConnect,
      ),
    ],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  square: documentation({
    docs: SRC.squareObtain,
    behaviours: {
      token_url: doc(
        'https://connect.squareup.com/oauth2/token',
        SRC.squareObtain,
        'ObtainToken, POST /oauth2/token on the production API host',
      ),
      client_auth: doc(
        'client_secret_post',
        SRC.squareObtain,
        'client_id and client_secret in the (JSON) request body',
      ),
      rotates_refresh_token: doc(
        false,
        SRC.squareObtain,
        'code flow: the response returns the same refresh token (the PKCE flow returns a new one)',
      ),
      refresh_token_idle_seconds: doc(
        null,
        SRC.squareOverview,
        "refresh tokens obtained with the code flow don't expire",
      ),
      expires_in: doc(
        'expires_at',
        SRC.squareResponse,
        'expires_at (ISO 8601); access tokens expire after 30 days',
      ),
    },
    quirks: [
      quirk('The response states expires_at (an ISO 8601 time) instead of expires_in.', SRC.squareResponse),
      quirk(
        'Refresh access tokens every 7 days or less, well before their 30-day expiry.',
        SRC.squareRefresh,
      ),
      quirk('With the PKCE flow each refresh returns a new refresh token.', SRC.squareObtain),
    ],
    notes: 'Sandbox: override token_url. Authorization URL: give it in the integration.',
  }),
  mailchimp: documentation({
    behaviours: {
      expires_in: thirdParty(
        'never_expires',
        SRC.mailchimpOauthlib,
        'tokens never expire; expires_in is sent as 0',
      ),
    },
    quirks: [
      quirk(
        'expires_in is 0 for tokens that never expire: do not read it as "expired"; the account\'s data centre comes from the metadata endpoint.',
        SRC.mailchimpOauthlib,
        true,
      ),
    ],
    notes: 'No refresh token. token_url: not confirmed on the pages read; give it in the integration.',
  }),
  constant_contact: documentation({
    docs: SRC.constantContactServer,
    behaviours: {
      rotates_refresh_token: thirdParty(
        true,
        SRC.constantContactNango,
        'chosen per app ("Rotating Refresh Tokens" or long-lived); the strict case is modelled',
      ),
    },
    quirks: [
      quirk(
        'Access tokens are JWTs: decode one to check its claims and expiration.',
        SRC.constantContactServer,
      ),
      quirk(
        'The implicit flow gets no refresh token; use the authorization code (or PKCE) flow.',
        SRC.constantContactClient,
      ),
    ],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  typeform: documentation({
    behaviours: {
      expires_in: thirdParty('always', SRC.typeform, 'expires_in is returned with a refresh_token'),
    },
    quirks: [
      quirk(
        'App developers choose when access tokens expire (default 7 days); the response carries expires_in and a refresh_token.',
        SRC.typeform,
        true,
      ),
    ],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  webflow: documentation({
    docs: SRC.webflow,
    quirks: [
      quirk(
        'The OAuth guide describes the authorization code exchange returning an access token; it describes no refresh token.',
        SRC.webflow,
      ),
    ],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  wrike: documentation({
    docs: SRC.wrike,
    quirks: [quirk('Only the authorization code flow is supported.', SRC.wrike)],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  smartsheet: documentation({
    docs: SRC.smartsheetToken,
    behaviours: {
      token_url: doc(
        'https://api.smartsheet.com/2.0/token',
        SRC.smartsheetToken,
        'POST /token, "gets or refreshes"',
      ),
      client_auth: unknown(
        'client_id and client_secret (or hash = SHA-256 of secret|code) are documented as query parameters',
        SRC.smartsheetToken,
      ),
    },
    quirks: [
      quirk(
        'The token request takes client_id and client_secret, or hash (SHA-256 of "secret|code"), as query parameters.',
        SRC.smartsheetToken,
      ),
      quirk(
        'Smartsheet Gov and Smartsheet Regions Europe have separate hosts and tokens.',
        SRC.smartsheetAuth,
      ),
    ],
    notes: 'Gov/EU regions: override token_url. Authorization URL: give it in the integration.',
  }),
  procore: documentation({
    docs: SRC.procore,
    behaviours: {
      token_url: doc('https://login.procore.com/oauth/token', SRC.procore),
      client_auth: doc('client_secret_post', SRC.procore, 'client_id and client_secret in the form body'),
      rotates_refresh_token: doc(true, SRC.procore, 'refresh tokens are single-use'),
      reuse_grace_seconds: doc(
        0,
        SRC.procore,
        'once a refresh call is made the old refresh token is invalidated, even if the response is lost',
      ),
    },
    quirks: [
      quirk('Access tokens are valid for 90 minutes (5,400 seconds).', SRC.procore),
      quirk(
        'Production and sandbox have separate credentials, tokens and authentication base URLs.',
        SRC.procoreEndpoints,
      ),
    ],
  }),
  servicetitan: documentation({
    behaviours: {
      token_url: thirdParty(
        'https://auth.servicetitan.io/connect/token',
        SRC.serviceTitanLib,
        'integration environment: auth-integration.servicetitan.io',
      ),
    },
    quirks: [
      quirk(
        'Only the client-credentials grant: no authorization code flow and no refresh tokens; the customer creates the app credentials and shares them.',
        SRC.serviceTitanNango,
        true,
      ),
    ],
    notes: 'Nothing to refresh: client-credentials tokens are requested anew.',
  }),
  netsuite: documentation({
    docs: SRC.netsuiteRefresh,
    behaviours: {
      token_url: doc(
        'https://{account}.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token',
        SRC.netsuiteRefresh,
      ),
      client_auth: doc('client_secret_basic', SRC.netsuiteRefresh, 'HTTP Basic with client_id:client_secret'),
      expires_in: doc('always', SRC.netsuiteConnect, 'access tokens are valid one hour (exp and expires_in)'),
    },
    quirks: [
      quirk('Access and refresh tokens are JWTs.', SRC.netsuiteRefresh),
      quirk(
        'Authorization runs at /app/login/oauth2/authorize.nl on the account host.',
        SRC.netsuiteAuthorize,
      ),
      quirk('The refresh token lasts seven days.', SRC.netsuiteUnified, true),
    ],
    notes:
      'account: the account ID in hostname form (lowercase, "_" written as "-", e.g. 1234567-sb1), no default.',
  }),
  sage: documentation({
    docs: SRC.sage,
    behaviours: {
      rotates_refresh_token: thirdParty(true, SRC.sageUnified, 'single-use refresh tokens'),
      refresh_token_idle_seconds: thirdParty(31 * DAY, SRC.sageUnified, 'refresh tokens die after 31 days'),
    },
    quirks: [
      quirk('Only the authorization code flow is available.', SRC.sage),
      quirk('The X-Business header selects the business; without it the lead business answers.', SRC.sage),
      quirk('Authorization starts at https://www.sageone.com/oauth2/auth/central.', SRC.sageV3),
      quirk('Access tokens last five minutes.', SRC.sageUnified, true),
    ],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  freshbooks: documentation({
    behaviours: {
      rotates_refresh_token: thirdParty(true, SRC.freshbooksDevart, 'a new refresh token with every refresh'),
    },
    quirks: [quirk('Access tokens expire 12 hours after they are issued.', SRC.freshbooksDevart, true)],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  gusto: documentation({
    docs: SRC.gustoTokens,
    behaviours: {
      token_url: doc(
        'https://api.gusto.com/oauth/token',
        SRC.gustoRefresh,
        'demo environment: api.gusto-demo.com',
      ),
      client_auth: doc(
        'client_secret_post',
        SRC.gustoTokens,
        'client_id and client_secret in the request body; a client_secret in the URL is refused (400)',
      ),
      rotates_refresh_token: doc(
        true,
        SRC.gustoTokens,
        'a refresh returns a new access token and refresh token',
      ),
      reuse_grace_seconds: unknown(
        'the previous refresh token is revoked on the first use of the new access token, not after a time window',
        SRC.gustoRefresh,
      ),
      expires_in: doc('always', SRC.gustoTokens, 'expires_in 7200 (2 hours)'),
    },
    quirks: [
      quirk(
        'The previous refresh token is revoked on the first use of the new access token.',
        SRC.gustoRefresh,
      ),
      quirk('Since v2023-05-01 a token grants access to exactly one company.', SRC.gustoOauth),
      quirk('Development runs against api.gusto-demo.com, production against api.gusto.com.', SRC.gustoAuth),
    ],
    notes: 'Demo environment: override token_url/authorization_url with api.gusto-demo.com.',
  }),
  deel: documentation({
    docs: SRC.deelChangelog,
    behaviours: {
      token_url: doc('https://app.deel.com/oauth2/tokens', SRC.deelChangelog),
      client_auth: doc('client_secret_basic', SRC.deelChangelog, 'Authorization: Basic in the token request'),
    },
    quirks: [
      quirk(
        'OAuth moved to app.deel.com/oauth2/...; the demo environment uses demo.letsdeel.com/oauth2/....',
        SRC.deelChangelog,
      ),
      quirk(
        'Authorization: https://app.deel.com/oauth2/authorize (sandbox: https://demo.deel.com).',
        SRC.deelStart,
      ),
    ],
  }),
  keycloak: documentation({
    docs: SRC.keycloakTimeouts,
    behaviours: {
      token_url: doc(
        'https://{domain}/realms/{realm}/protocol/openid-connect/token',
        SRC.keycloakRedHatEndpoint,
        "the realm's openid-connect token endpoint (older servers prefix the path with /auth)",
      ),
      rotates_refresh_token: unknown(
        'the realm setting "Revoke Refresh Token" makes refresh tokens single-use; the strict case is modelled',
        SRC.keycloakTimeouts,
      ),
      grant_lifetime_seconds: unknown(
        'SSO Session Max / Client Session Max are realm and client settings',
        SRC.keycloakTimeouts,
      ),
      refresh_token_idle_seconds: unknown(
        'SSO Session Idle / Client Session Idle are realm and client settings; a refresh resets them',
        SRC.keycloakTimeouts,
      ),
    },
    quirks: [
      quirk('With "Revoke Refresh Token" on, each refresh token can be used once.', SRC.keycloakTimeouts),
      quirk(
        'Refresh tokens end with the session: SSO Session Idle (reset by each refresh) and SSO Session Max (a hard limit); offline tokens follow the Offline Session Idle/Max settings.',
        SRC.keycloakTimeouts,
      ),
    ],
    notes:
      'domain: the Keycloak host (e.g. sso.acme.com), no default. realm: the realm name, no default. ' +
      'Servers with the legacy /auth context path: override token_url.',
  }),
  github_app: documentation({
    docs: SRC.githubApp,
    behaviours: {
      token_url: doc('https://github.com/login/oauth/access_token', SRC.githubApp),
      rotates_refresh_token: doc(
        true,
        SRC.githubApp,
        'a refresh returns a new user access token and a new refresh token',
      ),
      reuse_grace_seconds: doc(
        0,
        SRC.githubApp,
        'once used, the refresh token and the old access token stop working',
      ),
      refresh_token_idle_seconds: doc(
        SIX_MONTHS,
        SRC.githubApp,
        'a refresh token expires after six months; each refresh issues a new one; 180 days modelled',
      ),
      expires_in: doc(
        'always',
        SRC.githubApp,
        'expires_in 28800 (8 hours); omitted when expiring tokens are off',
      ),
    },
    quirks: [
      quirk(
        'Expiring user tokens are on unless the app opts out; responses carry refresh_token_expires_in.',
        SRC.githubApp,
      ),
      quirk('The refresh request sends client_id and client_secret as query parameters.', SRC.githubApp),
    ],
    notes: 'Same endpoint as github: Accept: application/json, errors in a 200 body (team brief).',
  }),
  todoist: documentation({
    docs: SRC.todoist,
    behaviours: {
      rotates_refresh_token: doc(true, SRC.todoist, 'the server rotates the refresh token on every refresh'),
    },
    quirks: [
      quirk(
        'Refresh tokens are on by default for new OAuth apps; apps without them get long-lived access tokens.',
        SRC.todoist,
      ),
    ],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  make: documentation({
    docs: SRC.make,
    quirks: [quirk('Access tokens expire after 5 minutes; refresh tokens after 6 months.', SRC.make)],
    notes: 'token_url: not confirmed on the pages read; give it in the integration.',
  }),
  cybersource: documentation({
    docs: SRC.cybersource,
    behaviours: {
      token_url: doc('https://api-ma.cybersource.com/oauth2/v3/token', SRC.cybersource),
      client_auth: doc('client_secret_post', SRC.cybersource, 'client_id and client_secret in the form body'),
      refresh_token_idle_seconds: doc(
        YEAR,
        SRC.cybersource,
        'a refresh token expires a year after the last successful access token request',
      ),
    },
    quirks: [
      quirk('Access tokens expire after 15 minutes.', SRC.cybersource),
      quirk('Token request failures answer HTTP 500.', SRC.cybersource),
    ],
  }),
  lightspeed: documentation({
    docs: SRC.lightspeed,
    behaviours: {
      token_url: doc('https://accounts.lightspeed.app/oauth/token', SRC.lightspeed),
    },
    quirks: [quirk('Access tokens last 15 minutes.', SRC.lightspeed)],
  }),
  sendcloud: documentation({
    docs: SRC.sendcloud,
    behaviours: {
      token_url: doc('https://account.sendcloud.com/oauth2/token', SRC.sendcloud),
      client_auth: doc('client_secret_basic', SRC.sendcloud, 'Authorization: Basic'),
    },
    quirks: [quirk('OAuth 2.0 is a beta available to a limited number of clients.', SRC.sendcloud)],
  }),
  reltio: documentation({
    docs: SRC.reltio,
    behaviours: {
      token_url: doc('https://auth.reltio.com/oauth/token', SRC.reltio),
      client_auth: doc(
        'client_secret_basic',
        SRC.reltio,
        'Basic authentication header with the client credentials',
      ),
      rotates_refresh_token: doc(
        false,
        SRC.reltio,
        'the documented refresh response returns the same refresh token',
      ),
      expires_in: doc('always', SRC.reltio, 'expires_in (tokens last 60 minutes by default)'),
    },
  }),
  custom: documentation({
    quirks: [
      quirk(
        'Nothing is known: the service assumes rotation with reuse detection (no grace) unless the integration says otherwise.',
        SRC.rfc9700,
      ),
    ],
    notes: 'token_url must be given by the integration.',
  }),
});

/**
 * Every provider of {@link PROVIDERS} with its documentation, by key, in the catalogue's order.
 * Built when this file loads: an inconsistent catalogue stops the API from starting.
 */
export const DOCUMENTED_PROVIDERS: Readonly<Record<string, DocumentedProvider>> = documentCatalogue(
  PROVIDERS,
  PROVIDER_DOCS,
);

/**
 * Joins the catalogue and its documentation, after checking that both name the same providers and
 * that no flat field contradicts a documented behaviour ({@link definitionProblems}).
 *
 * @throws Error listing every problem found.
 */
export function documentCatalogue(
  providers: Readonly<Record<string, ProviderDefinition>>,
  docs: Readonly<Record<string, ProviderDocs>>,
): Readonly<Record<string, DocumentedProvider>> {
  const problems: string[] = [];
  for (const key of Object.keys(docs)) {
    if (!Object.hasOwn(providers, key)) problems.push(`${key}: documented, but not in the catalogue`);
  }
  const joined: Record<string, DocumentedProvider> = {};
  for (const [key, definition] of Object.entries(providers)) {
    const documented = Object.hasOwn(docs, key) ? docs[key] : undefined;
    if (documented === undefined) {
      problems.push(`${key}: in the catalogue, but not documented`);
      continue;
    }
    const entry = Object.freeze({ ...definition, ...documented });
    for (const problem of definitionProblems(entry)) {
      problems.push(`${key}.${problem.path.join('.')}: ${problem.message}`);
    }
    joined[key] = entry;
  }
  if (problems.length > 0) {
    throw new Error(`the provider catalogue contradicts its documentation:\n  ${problems.join('\n  ')}`);
  }
  return Object.freeze(joined);
}
