import type * as z from 'zod';
import { allows, type Principal } from '../domain/principal';
import type { Logger } from '../ports/logger';
import { ApiError, invalidRequest, toApiError, type ValidationProblem } from './errors';
import type { AnyRoute, ApiResult } from './route';

/** api.md: a request body over 64 KB is 413 `payload_too_large`. */
export const MAX_BODY_BYTES = 64 * 1024;
/** Deeper bodies are 400 `invalid_request` (metadata allows 16 levels of its own; nothing else nests). */
export const MAX_BODY_DEPTH = 64;

/** A request as the router sees it (the API Gateway v2 event, normalized). */
export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  /** Decoded query parameters (first value wins for repeated names). */
  readonly query: Readonly<Record<string, string>>;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly requestId: string;
  /** Lambda's remaining time; unlimited when absent. */
  readonly remainingTimeMs?: () => number;
  /** Set when API Gateway authorized the call with IAM (SigV4). */
  readonly iamPrincipal?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface RouterOptions<Deps> {
  readonly routes: readonly AnyRoute<Deps>[];
  readonly deps: Deps;
  /** Resolves a bearer key to its principal, or null (unknown, revoked). */
  readonly authenticate: (key: string) => Promise<Principal | null>;
  readonly logger: Logger;
}

/**
 * The API's request pipeline: route match → authentication (401) and scope (403) → body checks
 * (415, 413, malformed JSON) → zod validation of params, query and body (400 with `details`) →
 * the route → a JSON answer with `cache-control: no-store`. Every non-2xx answer has api.md's
 * envelope; unexpected errors are logged and answered 500 without internals.
 */
export function createRouter<Deps>(options: RouterOptions<Deps>) {
  const compiled = options.routes.map((r) => ({ route: r, pattern: compile(r.path) }));

  return async function handle(request: ApiRequest): Promise<ApiResponse> {
    try {
      const method = request.method.toUpperCase();
      // HEAD is GET without the body (RFC 9110 §9.3.2): same route, same status and headers.
      const head = method === 'HEAD';
      const wanted = head ? 'GET' : method;
      let found: { route: AnyRoute<Deps>; params: Record<string, string> } | undefined;
      for (const { route, pattern } of compiled) {
        if (route.method !== wanted) continue;
        const params = pattern(request.path);
        if (params !== null) {
          found = { route, params };
          break;
        }
      }
      if (found === undefined) {
        // api.md v1.1: under /v1 a caller without a valid key gets 401 whether or not the route
        // exists, so the route table cannot be discovered without a key.
        if (request.path === '/v1' || request.path.startsWith('/v1/'))
          await authorize(options, request, 'tokens:read');
        throw new ApiError(404, 'not_found', `no route for ${method} ${request.path}`);
      }
      const { route } = found;
      const principal = route.auth === 'public' ? undefined : await authorize(options, request, route.auth);

      const params = parse(route.params, found.params, 'path');
      const query = parse(route.query, request.query, 'query');
      const body =
        route.body === undefined
          ? undefined
          : parse(route.body, readJson(request, route.maxBodyBytes ?? MAX_BODY_BYTES), 'body');
      const result = await route.handle({
        deps: options.deps,
        params,
        query,
        body,
        headers: request.headers,
        requestId: request.requestId,
        remainingTimeMs: request.remainingTimeMs ?? (() => Number.POSITIVE_INFINITY),
        ...(principal === undefined ? {} : { principal }),
      });
      return head ? withoutBody(render(result)) : render(result);
    } catch (error) {
      const apiError = toApiError(error);
      if (apiError !== null)
        return request.method.toUpperCase() === 'HEAD'
          ? withoutBody(renderError(apiError))
          : renderError(apiError);
      options.logger.error('unhandled error in the API', {
        request_id: request.requestId,
        method: request.method,
        error: error instanceof Error ? error.name : 'unknown',
      });
      return renderError(new ApiError(500, 'internal_error', 'internal error'));
    }
  };
}

/** The principal of the request's key (or IAM caller) when it has `needed`; else 401 / 403. */
async function authorize<Deps>(
  options: RouterOptions<Deps>,
  request: ApiRequest,
  needed: 'admin' | 'tokens:read',
): Promise<Principal> {
  let principal: Principal | null = null;
  if (request.iamPrincipal !== undefined) {
    // API Gateway already checked the SigV4 signature and the caller's IAM policy.
    principal = { kind: 'iam', id: request.iamPrincipal, scopes: ['admin'] };
  } else {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (match?.[1] !== undefined) principal = await options.authenticate(match[1]);
  }
  if (principal === null) {
    throw new ApiError(401, 'unauthorized', 'missing or invalid API key', undefined, {
      'www-authenticate': 'Bearer',
    });
  }
  if (!allows(principal, needed))
    throw new ApiError(403, 'forbidden', `this route needs the ${needed} scope`);
  return principal;
}

/** A HEAD answer: the GET answer's status and headers, no body. */
function withoutBody(response: ApiResponse): ApiResponse {
  return { status: response.status, headers: response.headers, body: '' };
}

function readJson(request: ApiRequest, maxBytes: number): unknown {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw new ApiError(415, 'unsupported_media_type', 'the body must be application/json');
  }
  const body = request.body ?? '';
  if (Buffer.byteLength(body, 'utf8') > maxBytes) {
    throw new ApiError(413, 'payload_too_large', `the body exceeds ${maxBytes} bytes`);
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw invalidRequest('the body is not valid JSON', [{ path: '', message: 'malformed JSON' }]);
  }
  // 64 KB of `[` nests 32 000 deep: enough to overflow the stack of recursive validation and
  // serialization (zod's z.json(), JSON.stringify) into a 500. No field of this API nests that deep.
  if (nestsDeeperThan(value, MAX_BODY_DEPTH)) {
    throw invalidRequest('the body nests too deeply', [
      { path: 'body', message: `must nest at most ${MAX_BODY_DEPTH} levels deep` },
    ]);
  }
  return value;
}

/** Whether a parsed JSON value nests deeper than `limit` objects/arrays, checked without recursion. */
function nestsDeeperThan(root: unknown, limit: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, depth } = next;
    if (typeof value !== 'object' || value === null) continue;
    if (depth + 1 > limit) return true;
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

function parse<T>(schema: z.ZodType<T> | undefined, input: unknown, where: string): T {
  if (schema === undefined) return undefined as T;
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const details: ValidationProblem[] = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw invalidRequest(`invalid ${where}`, details);
}

function render(result: ApiResult): ApiResponse {
  const base = { 'cache-control': 'no-store' };
  if ('html' in result) {
    return {
      status: result.status,
      headers: { ...base, 'content-type': 'text/html; charset=utf-8', ...result.headers },
      body: result.html,
    };
  }
  if (result.body === undefined)
    return { status: result.status, headers: { ...base, ...result.headers }, body: '' };
  return {
    status: result.status,
    headers: { ...base, 'content-type': 'application/json', ...result.headers },
    body: JSON.stringify(result.body),
  };
}

export function renderError(error: ApiError): ApiResponse {
  return render({
    status: error.status,
    headers: error.headers,
    body: {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      },
    },
  });
}

/** `/v1/a/{x}` → a matcher returning the percent-decoded `{name}` segments, or null. */
function compile(template: string): (path: string) => Record<string, string> | null {
  const want = template.split('/');
  return (path) => {
    const got = path.split('/');
    if (got.length !== want.length) return null;
    const params: Record<string, string> = {};
    for (let i = 0; i < want.length; i++) {
      const w = want[i] ?? '';
      const g = got[i] ?? '';
      if (w.startsWith('{') && w.endsWith('}')) {
        if (g === '') return null;
        try {
          params[w.slice(1, -1)] = decodeURIComponent(g);
        } catch {
          return null;
        }
      } else if (w !== g) return null;
    }
    return params;
  };
}
