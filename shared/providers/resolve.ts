import {
  DEFAULT_REAUTH_LEAD_SECONDS,
  DEFAULT_REFRESH_SETTINGS,
  type IntegrationConfig,
  integrationConfigObjectSchema,
  MAX_REAUTH_LEAD_SECONDS,
  type RefreshSettings,
  type RefreshSettingsInput,
  type ResolvedIntegration,
} from '../domain/integration';
import { ServiceError } from '../errors';
import { clamp, MAX_REFRESH_TOKEN_LIFETIME_SECONDS } from '../policy/limits';
import { PROVIDERS } from './catalogue';
import type { ProviderDefinition } from './schema';

/**
 * An integration's configuration (see {@link integrationConfigObjectSchema}) with the rules that
 * need the catalogue: the provider is known, and a token URL is given where the catalogue has none.
 */
export const integrationConfigSchema = integrationConfigObjectSchema.superRefine((config, ctx) => {
  const problem = configProblem(config);
  if (problem !== null) ctx.addIssue({ code: 'custom', path: [problem.path], message: problem.message });
});

/** The stored configuration with its client secret, still encrypted (null for public clients). */
export type StoredIntegrationConfig = IntegrationConfig & {
  readonly client_secret_ciphertext: Uint8Array | null;
};

/**
 * Merges a catalogue provider's defaults with an integration's configuration. Fields given in the
 * configuration win; `refresh_params`, `authorization_params` and `url_params` are merged over the
 * provider's defaults key by key. Refresh settings default to {@link DEFAULT_REFRESH_SETTINGS},
 * except the keep-alive, which defaults to half the provider's refresh-token idle expiry when that
 * is shorter than a day.
 *
 * @throws ServiceError `config_invalid` for an unknown provider, or a provider without a token URL
 *   (`custom`) when the configuration gives none.
 */
export function resolveIntegration(
  integrationId: string,
  config: StoredIntegrationConfig,
): ResolvedIntegration {
  const provider = providerOf(config.provider);
  if (provider === undefined) {
    throw configInvalid(integrationId, 'provider', unknownProvider(config.provider));
  }
  const tokenUrl = config.token_url ?? provider.token_url;
  if (tokenUrl === null) throw configInvalid(integrationId, 'token_url', tokenUrlRequired(provider.key));
  return {
    integrationId,
    provider: provider.key,
    clientId: config.client_id,
    clientSecretCiphertext: config.client_secret_ciphertext,
    tokenUrl,
    authorizationUrl: config.authorization_url ?? provider.authorization_url,
    clientAuth: config.client_auth ?? provider.client_auth,
    refreshParams: { ...provider.refresh_params, ...config.refresh_params },
    urlParams: { ...provider.url_param_defaults, ...config.url_params },
    scopes: [...(config.scopes ?? provider.default_scopes)],
    authorizationParams: { ...provider.authorization_params, ...config.authorization_params },
    rotatesRefreshToken: config.rotates_refresh_token ?? provider.rotates_refresh_token,
    reuseGraceSeconds:
      config.reuse_grace_seconds !== undefined
        ? config.reuse_grace_seconds
        : (config.rotates_refresh_token ?? provider.rotates_refresh_token)
          ? (provider.reuse_grace_seconds ?? 0)
          : null,
    expiryFallback: provider.expiry_fallback,
    errorsIn200Body: provider.errors_in_200_body,
    tokenPath: provider.token_path,
    acceptJsonHeader: provider.accept_json_header,
    jsonBody: provider.json_body,
    grantLifetimeSeconds: provider.grant_lifetime_seconds,
    refreshTokenIdleSeconds: provider.refresh_token_idle_seconds,
    webhookUrl: config.webhook_url ?? null,
    refresh: resolveRefreshSettings(config.refresh, provider),
    allowAccountChange: config.allow_account_change ?? false,
    ...(provider.account_id_fields === undefined ? {} : { accountIdFields: provider.account_id_fields }),
  };
}

/**
 * The keep-alive a provider needs when the integration sets none: refresh at least twice per idle
 * window (so one failed keep-alive still leaves time), and at least daily (design.md).
 */
export function defaultKeepaliveSeconds(provider: ProviderDefinition): number {
  const idle = provider.refresh_token_idle_seconds;
  if (idle === null) return DEFAULT_REFRESH_SETTINGS.keepaliveSeconds;
  return Math.max(60, Math.min(DEFAULT_REFRESH_SETTINGS.keepaliveSeconds, Math.floor(idle / 2)));
}

/** A lifetime in seconds within [60 s, 10 years]; null stays null (none known). */
function clampLifetime(seconds: number | null): number | null {
  return seconds === null ? null : clamp(Math.floor(seconds), 60, MAX_REFRESH_TOKEN_LIFETIME_SECONDS);
}

function resolveRefreshSettings(
  input: RefreshSettingsInput | undefined,
  provider: ProviderDefinition,
): RefreshSettings {
  const d = DEFAULT_REFRESH_SETTINGS;
  return {
    marginSeconds: input?.margin_seconds ?? d.marginSeconds,
    keepaliveSeconds: input?.keepalive_seconds ?? defaultKeepaliveSeconds(provider),
    mode: input?.mode ?? d.mode,
    jitterSeconds: input?.jitter_seconds ?? d.jitterSeconds,
    retryBaseSeconds: input?.retry_base_seconds ?? d.retryBaseSeconds,
    retryMaxSeconds: input?.retry_max_seconds ?? d.retryMaxSeconds,
    retryHorizonSeconds: input?.retry_horizon_seconds ?? d.retryHorizonSeconds,
    defaultLifetimeSeconds: d.defaultLifetimeSeconds,
    // api.md v1.1: the integration's value (null = none) wins over the catalogue's; clamped anyway.
    refreshTokenIdleSeconds: clampLifetime(
      input?.refresh_token_idle_seconds !== undefined
        ? input.refresh_token_idle_seconds
        : provider.refresh_token_idle_seconds,
    ),
    grantLifetimeSeconds: clampLifetime(
      input?.grant_lifetime_seconds !== undefined
        ? input.grant_lifetime_seconds
        : provider.grant_lifetime_seconds,
    ),
    reauthLeadSeconds: clamp(
      input?.reauth_lead_seconds ?? DEFAULT_REAUTH_LEAD_SECONDS,
      0,
      MAX_REAUTH_LEAD_SECONDS,
    ),
  };
}

/** `Object.hasOwn`, so `constructor` or `__proto__` are unknown providers, not prototype members. */
function providerOf(key: string): ProviderDefinition | undefined {
  return Object.hasOwn(PROVIDERS, key) ? PROVIDERS[key] : undefined;
}

/** Cross-field rules, so the API answers 400 for what {@link resolveIntegration} would reject. */
function configProblem(config: { provider: string; token_url?: string | undefined }) {
  const provider = providerOf(config.provider);
  if (provider === undefined) return { path: 'provider', message: unknownProvider(config.provider) };
  if (provider.token_url === null && config.token_url === undefined) {
    return { path: 'token_url', message: tokenUrlRequired(provider.key) };
  }
  return null;
}

const unknownProvider = (key: string): string => `unknown provider "${key}"`;
const tokenUrlRequired = (key: string): string => `token_url is required for provider "${key}"`;

function configInvalid(integrationId: string, path: string, message: string): ServiceError {
  return new ServiceError('config_invalid', `integration ${integrationId}: ${message}`, {
    details: { path },
  });
}
