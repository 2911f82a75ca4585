import type { ApiDeps } from '../deps';
import type { AnyRoute } from '../route';

export const connectRoutes: readonly AnyRoute<ApiDeps>[] = [];
