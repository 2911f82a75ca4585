import type { IntegrationConfig, ResolvedIntegration } from '../domain/integration';

/** An integration ready for a provider call: merged settings and the decrypted client secret. */
export interface IntegrationCredentials {
  readonly integration: ResolvedIntegration;
  /** Plaintext client secret (null for public clients). Never log it. */
  readonly clientSecret: string | null;
}

/** Looks integrations up for the refresh core (cached briefly by the adapter). */
export interface IntegrationSource {
  /** @throws NotFoundError */
  get(integrationId: string): Promise<IntegrationCredentials>;
  /** Forgets a cached integration, so the next `get` reads it again (e.g. after the provider refused its client). */
  invalidate(integrationId: string): void;
}

/** An integration as stored: its configuration and the client secret's envelope ciphertext. */
export interface StoredIntegration {
  readonly integrationId: string;
  readonly config: IntegrationConfig;
  readonly clientSecretCiphertext: Uint8Array | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Where integrations are kept (consistent reads: the admin API, not the refresh path's cache). */
export interface IntegrationStore {
  get(integrationId: string): Promise<StoredIntegration | null>;
  /** Creates or replaces; returns whether it was created. Keeps `createdAt` of a replaced one. */
  put(
    integrationId: string,
    config: IntegrationConfig,
    clientSecretCiphertext: Uint8Array | null,
    now: number,
  ): Promise<{ created: boolean; integration: StoredIntegration }>;
  /** True when at least one connection of the integration exists. */
  hasConnections(integrationId: string): Promise<boolean>;
  /** Deletes; false when it did not exist. */
  delete(integrationId: string): Promise<boolean>;
  /** Every integration id, sorted. */
  listIds(): Promise<string[]>;
}
