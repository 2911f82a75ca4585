import type { ApiDeps } from '../deps';
import type { AnyRoute } from '../route';

export const metaRoutes: readonly AnyRoute<ApiDeps>[] = [];
