import type { ApiDeps } from '../deps';
import type { AnyRoute } from '../route';

export const connectionRoutes: readonly AnyRoute<ApiDeps>[] = [];
