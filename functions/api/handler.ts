import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type ApiDeps, createApiDeps } from '../../shared/api/deps';
import { type ApiRequest, createRouter } from '../../shared/api/router';
import { routes } from '../../shared/api/routes';
import { getRuntime, type Runtime } from '../../shared/runtime';

type Router = ReturnType<typeof createRouter<ApiDeps>>;
const routers = new WeakMap<Runtime, Router>();

/** The HTTP API (API Gateway HTTP API, payload format 2.0): api.md, routed by shared/api. */
export const handler = async (
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const rt = await getRuntime();
  let router = routers.get(rt);
  if (router === undefined) {
    const deps = createApiDeps(rt);
    router = createRouter({
      routes,
      deps,
      authenticate: (key) => deps.apiKeys.authenticate(key),
      logger: rt.logger,
    });
    routers.set(rt, router);
  }
  const response = await router({
    ...toRequest(event),
    remainingTimeMs: () => context.getRemainingTimeInMillis(),
  });
  return { statusCode: response.status, headers: response.headers, body: response.body };
};

function toRequest(event: APIGatewayProxyEventV2): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  const body =
    event.body === undefined
      ? undefined
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  const authorizer = (event.requestContext as { authorizer?: { iam?: { userArn?: string } } }).authorizer;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query,
    headers,
    body,
    requestId: event.requestContext.requestId,
    ...(authorizer?.iam?.userArn === undefined ? {} : { iamPrincipal: authorizer.iam.userArn }),
  };
}
