import { NotFoundError } from '../errors';
import type { Clock } from '../ports/clock';
import type { IntegrationCredentials, IntegrationSource, IntegrationStore } from '../ports/integrations';
import type { EncryptionContext, Keyring } from '../ports/keyring';
import { resolveIntegration } from '../providers/resolve';

export const clientSecretContext = (integrationId: string): EncryptionContext => ({
  integration_id: integrationId,
  connection_id: '-',
  purpose: 'client_secret',
});

/**
 * Integrations for the refresh core, cached per process for `ttlMs` (integrations change rarely;
 * a refresh should not pay a read and a decrypt for them). Concurrent misses share one load.
 */
export class CachedIntegrationSource implements IntegrationSource {
  private readonly cache = new Map<string, { at: number; value: Promise<IntegrationCredentials> }>();

  constructor(
    private readonly store: Pick<IntegrationStore, 'get'>,
    private readonly keyring: Keyring,
    private readonly clock: Clock,
    private readonly ttlMs = 30_000,
  ) {}

  get(integrationId: string): Promise<IntegrationCredentials> {
    const hit = this.cache.get(integrationId);
    if (hit !== undefined && this.clock.now() - hit.at < this.ttlMs) return hit.value;
    const value = this.load(integrationId);
    this.cache.set(integrationId, { at: this.clock.now(), value });
    value.catch(() => this.cache.delete(integrationId));
    return value;
  }

  /** Forget a cached integration (after it was replaced or deleted in this process). */
  invalidate(integrationId: string): void {
    this.cache.delete(integrationId);
  }

  private async load(integrationId: string): Promise<IntegrationCredentials> {
    const stored = await this.store.get(integrationId);
    if (stored === null) throw new NotFoundError(`integration ${integrationId}`);
    const integration = resolveIntegration(integrationId, {
      ...stored.config,
      client_secret_ciphertext: stored.clientSecretCiphertext,
    });
    const clientSecret =
      stored.clientSecretCiphertext === null
        ? null
        : new TextDecoder().decode(
            await this.keyring.decrypt(stored.clientSecretCiphertext, clientSecretContext(integrationId)),
          );
    return { integration, clientSecret };
  }
}
