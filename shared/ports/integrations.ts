import type { ResolvedIntegration } from '../domain/integration';

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
  invalidate?(integrationId: string): void;
}
