import type { IntegrationConfig } from '../domain/integration';
import type { Clock } from '../ports/clock';
import type { IntegrationSource, IntegrationStore, StoredIntegration } from '../ports/integrations';
import type { Keyring } from '../ports/keyring';
import { clientSecretContext } from './integration-source';

export interface SaveIntegrationDeps {
  readonly integrationStore: Pick<IntegrationStore, 'get' | 'put'>;
  readonly integrations: Pick<IntegrationSource, 'invalidate'>;
  readonly keyring: Keyring;
  readonly clock: Pick<Clock, 'now'>;
}

/**
 * Creates or replaces an integration. The client secret is encrypted with the keyring, bound to the
 * integration; `undefined` keeps the stored one (it can never be read back to be sent again),
 * `null` removes it (a public client). This process's integration cache is invalidated; other
 * processes pick the change up within the cache's TTL.
 */
export async function saveIntegration(
  deps: SaveIntegrationDeps,
  integrationId: string,
  config: IntegrationConfig,
  clientSecret: string | null | undefined,
): Promise<{ created: boolean; integration: StoredIntegration }> {
  let ciphertext: Uint8Array | null;
  if (clientSecret === undefined) {
    ciphertext = (await deps.integrationStore.get(integrationId))?.clientSecretCiphertext ?? null;
  } else if (clientSecret === null) {
    ciphertext = null;
  } else {
    ciphertext = await deps.keyring.encrypt(
      new TextEncoder().encode(clientSecret),
      clientSecretContext(integrationId),
    );
  }
  const saved = await deps.integrationStore.put(integrationId, config, ciphertext, deps.clock.now());
  deps.integrations.invalidate(integrationId);
  return saved;
}
