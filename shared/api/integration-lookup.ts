import type { ResolvedIntegration } from '../domain/integration';
import { resolveIntegration } from '../providers/resolve';
import type { Runtime } from '../runtime';
import { notFound } from './errors';

/**
 * An integration as the API routes need it: a consistent read (not the refresh path's cache, so
 * an integration deleted a moment ago is gone), resolved with its catalogue defaults.
 * @throws ApiError 404 when there is no such integration
 */
export async function resolvedIntegrationOrNotFound(
  rt: Pick<Runtime, 'integrationStore'>,
  integrationId: string,
): Promise<ResolvedIntegration> {
  const stored = await rt.integrationStore.get(integrationId);
  if (stored === null) throw notFound(`integration ${integrationId}`);
  return resolveIntegration(stored.integrationId, {
    ...stored.config,
    client_secret_ciphertext: stored.clientSecretCiphertext,
  });
}
