import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ApiRequest } from '../../shared/api/router';

/** API Gateway's payload 2.0 event as the router's request: lower-case headers, decoded body. */
export function toApiRequest(event: APIGatewayProxyEventV2): Omit<ApiRequest, 'remainingTimeMs'> {
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
