import type { ApiDeps } from '../deps';
import type { AnyRoute } from '../route';
import { apiKeyRoutes } from './api-keys';
import { connectRoutes } from './connect';
import { connectionRoutes } from './connections';
import { healthRoutes } from './health';
import { integrationRoutes } from './integrations';
import { metaRoutes } from './meta';
import { tokenRoutes } from './token';

/** Every route of api.md (and its extensions), in match order. */
export const routes: readonly AnyRoute<ApiDeps>[] = [
  ...healthRoutes,
  ...metaRoutes(() => routes),
  ...integrationRoutes,
  ...connectionRoutes,
  ...tokenRoutes,
  ...connectRoutes,
  ...apiKeyRoutes,
];
