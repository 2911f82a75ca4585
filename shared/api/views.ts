import type { Connection } from '../domain/connection';
import type { IntegrationConfig } from '../domain/integration';
import { isoTime } from '../policy/limits';
import type { StoredIntegration } from '../ports/integrations';
import { integrationConfigSchema } from '../providers/resolve';
import type { ConnectionView } from './schemas/connections';
import type { IntegrationView } from './schemas/integrations';

const iso = (epochMs: number): string => isoTime(epochMs);
const isoOrNull = (epochMs: number | null): string | null => (epochMs === null ? null : iso(epochMs));

/** api.md connection view. Built field by field from the non-secret attributes only. */
export function connectionView(c: Connection): ConnectionView {
  return {
    integration_id: c.integrationId,
    connection_id: c.connectionId,
    provider: c.provider,
    status: c.status,
    access_token_expires_at: isoOrNull(c.accessTokenExpiresAt),
    last_refresh_at: isoOrNull(c.lastRefreshAt),
    next_refresh_at: isoOrNull(c.nextRefreshAt),
    consecutive_failures: c.consecutiveFailures,
    last_error:
      c.lastError === null
        ? null
        : {
            code: c.lastError.code,
            message: c.lastError.message,
            provider_error: c.lastError.provider_error,
            provider_error_description: c.lastError.provider_error_description,
            at: c.lastError.at,
          },
    metadata: c.metadata,
    account_id: c.accountId ?? null,
    refresh_token_expires_at: isoOrNull(c.refreshTokenExpiresAt ?? null),
    reauth_due_at: isoOrNull(c.reauthDueAt ?? null),
    created_at: iso(c.createdAt),
    updated_at: iso(c.updatedAt),
  };
}

/** The configuration fields a view may show: the schema's own, so nothing else stored can leak. */
const CONFIG_FIELDS = Object.keys(integrationConfigSchema.shape) as (keyof IntegrationConfig)[];

/**
 * api.md integration view: the configuration as sent, `client_secret` replaced by
 * `client_secret_set`, plus `integration_id` and timestamps.
 */
export function integrationView(stored: StoredIntegration): IntegrationView {
  const config: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) {
    const value = stored.config[field];
    if (value !== undefined) config[field] = value;
  }
  return {
    integration_id: stored.integrationId,
    ...(config as IntegrationConfig),
    client_secret_set: stored.clientSecretCiphertext !== null,
    created_at: iso(stored.createdAt),
    updated_at: iso(stored.updatedAt),
  };
}
