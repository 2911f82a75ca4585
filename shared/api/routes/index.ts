import type { ApiDeps } from '../deps';
import type { AnyRoute } from '../route';
import { apiKeyRoutes } from './api-keys';
import { connectRoutes } from './connect';
import { connectionRoutes } from './connections';
import { connectionBatchRoutes } from './connections-batch';
import { consoleRoutes } from './console';
import { healthRoutes } from './health';
import { historyRoutes } from './history';
import { integrationRetryRoutes } from './integration-retry';
import { integrationRoutes } from './integrations';
import { metaRoutes } from './meta';
import { providerRoutes } from './providers';
import { tokenRoutes } from './token';

/** Every route of api.md (and its extensions), in match order. */
export const routes: readonly AnyRoute<ApiDeps>[] = [
  ...healthRoutes,
  ...metaRoutes(() => routes),
  ...integrationRoutes,
  ...integrationRetryRoutes,
  // Before connectionRoutes: `batch` is also a valid connection id (its PUT/GET/DELETE stay theirs).
  ...connectionBatchRoutes,
  ...connectionRoutes,
  ...tokenRoutes,
  ...historyRoutes,
  ...connectRoutes,
  ...consoleRoutes,
  ...apiKeyRoutes,
  ...providerRoutes,
];
