import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ApiDeps } from '../../shared/api/deps';
import { createRouter } from '../../shared/api/router';
import { routes } from '../../shared/api/routes';
import { apiRoot } from './deps';
import { toApiRequest } from './request';

type ApiHandler = (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** The HTTP API (API Gateway HTTP API, payload format 2.0): api.md, routed by shared/api. */
export function createApiHandler(root: () => Promise<ApiDeps>): ApiHandler {
  let router: { deps: ApiDeps; route: ReturnType<typeof createRouter<ApiDeps>> } | undefined;
  return async (event, context) => {
    const deps = await root();
    if (router?.deps !== deps) {
      const route = createRouter({
        routes,
        deps,
        authenticate: (key) => deps.apiKeys.authenticate(key),
        logger: deps.logger,
      });
      router = { deps, route };
    }
    const response = await router.route({
      ...toApiRequest(event),
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    return { statusCode: response.status, headers: response.headers, body: response.body };
  };
}

export const handler = createApiHandler(apiRoot);
