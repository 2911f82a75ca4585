import type { ApiDeps } from '../deps';
import type { AnyRoute } from '../route';

export const tokenRoutes: readonly AnyRoute<ApiDeps>[] = [];
