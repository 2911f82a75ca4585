import { type Config, loadConfig } from '../../shared/config/config';
import { RefreshLimiter, type RefreshRecordDeps } from '../../shared/pipeline/refresher';
import {
  type BaseOverrides,
  createBase,
  createRefreshDeps,
  createSecrets,
  perContainer,
  type Root,
} from '../compose';

export interface RefresherRoot extends RefreshRecordDeps, Root {}

/**
 * The refresher's composition root. The limiter bounds refreshes per process, so it belongs to the
 * root (one per Lambda container, a new one whenever the local runtime or a test builds a root).
 */
export async function createRefresherRoot(
  config: Config,
  overrides: BaseOverrides = {},
): Promise<RefresherRoot> {
  const base = createBase(config, overrides);
  const secrets = await createSecrets(config, base);
  return {
    refresh: createRefreshDeps({
      ...base,
      ...secrets,
      providerTimeoutMs: config.providerTimeoutMs,
      allowPrivateUrls: config.allowPrivateUrls,
    }),
    limiter: new RefreshLimiter({
      concurrency: config.refreshConcurrency,
      perIntegration: config.integrationConcurrency,
    }),
    logger: base.logger,
    metrics: base.metrics,
    clients: base.clients,
    dispose: base.dispose,
  };
}

/** This container's root, built on the first batch from the environment. */
export const refresherRoot = perContainer(() => createRefresherRoot(loadConfig()));
