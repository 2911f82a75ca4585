import * as z from 'zod';
import { CONSOLE_CSP, type ConsoleAssets, consoleAssets, consolePage } from '../../console/assets';
import type { ApiDeps } from '../deps';
import { ApiError } from '../errors';
import { type AnyRoute, type ApiResult, route } from '../route';

/**
 * api.md v1.1 `GET /console`: the operator console, a static page and its two files, served by the
 * API itself (locally and behind API Gateway; no other infrastructure). Public: the page holds no
 * data; the operator pastes an API key into it, which the page keeps in the tab's sessionStorage and
 * sends as `Authorization: Bearer` to the `/v1` routes, which check it as for any caller.
 */
const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
};

function assetsOrThrow(): ConsoleAssets {
  const assets = consoleAssets();
  if (assets === null) {
    throw new ApiError(404, 'not_found', 'the console is not part of this build (npm run build:console)');
  }
  return assets;
}

function asset(name: keyof ConsoleAssets, version: string | undefined): ApiResult {
  const file = assetsOrThrow()[name];
  return {
    status: 200,
    // Not HTML: the route result's `html` is the raw-body variant; its content type is overridden.
    html: file.body,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': file.contentType,
      // The page asks for `?v=<content hash>`: that exact content may be cached for good.
      'cache-control': version === file.version ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: `"${file.version}"`,
    },
  };
}

/** `?v=<version>` from the page's links; anything else is ignored. */
const assetQuerySchema = z.object({ v: z.string().max(64).optional() });

export const consoleRoutes: readonly AnyRoute<ApiDeps>[] = [
  route<ApiDeps>({
    operationId: 'getConsole',
    summary: 'The operator console (a web page; the API key is entered in the page)',
    tags: ['console'],
    method: 'GET',
    path: '/console',
    auth: 'public',
    responses: { 200: { description: 'The console page (HTML)' } },
    handle: async () => ({
      status: 200,
      html: consolePage(assetsOrThrow()),
      headers: { ...SECURITY_HEADERS, 'cache-control': 'no-cache' },
    }),
  }),
  route<ApiDeps>({
    operationId: 'getConsoleSlash',
    summary: 'Redirects `/console/` to the console',
    tags: ['console'],
    method: 'GET',
    path: '/console/',
    auth: 'public',
    responses: { 301: { description: 'To /console' } },
    // Relative, so a custom domain's base path is kept.
    handle: async () => ({ status: 301, headers: { ...SECURITY_HEADERS, location: '../console' } }),
  }),
  route<ApiDeps, undefined, z.output<typeof assetQuerySchema>>({
    operationId: 'getConsoleScript',
    summary: 'The console’s script (one ES module)',
    tags: ['console'],
    method: 'GET',
    path: '/console/console.js',
    auth: 'public',
    query: assetQuerySchema,
    responses: { 200: { description: 'JavaScript' } },
    handle: async ({ query }) => asset('console.js', query.v),
  }),
  route<ApiDeps, undefined, z.output<typeof assetQuerySchema>>({
    operationId: 'getConsoleStyles',
    summary: 'The console’s stylesheet',
    tags: ['console'],
    method: 'GET',
    path: '/console/console.css',
    auth: 'public',
    query: assetQuerySchema,
    responses: { 200: { description: 'CSS' } },
    handle: async ({ query }) => asset('console.css', query.v),
  }),
];
