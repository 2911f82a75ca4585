import type { ResolvedIntegration } from '../domain/integration';
import type { IntegrationStore } from '../ports/integrations';
import { resolveIntegration } from '../providers/resolve';
import { notFound } from './errors';

/**
 * An integration as the API routes need it: a consistent read (not the refresh path's cache, so
 * an integration deleted a moment ago is gone), resolved with its catalogue defaults.
 * @throws ApiError 404 when there is no such integration
 */
export async function resolvedIntegrationOrNotFound(
  deps: { readonly integrationStore: IntegrationStore },
  integrationId: string,
): Promise<ResolvedIntegration> {
  const stored = await deps.integrationStore.get(integrationId);
  if (stored === null) throw notFound(`integration ${integrationId}`);
  return resolveIntegration(stored.integrationId, {
    ...stored.config,
    client_secret_ciphertext: stored.clientSecretCiphertext,
  });
}
