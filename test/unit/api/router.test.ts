import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { route } from '../../../shared/api/route';
import { type ApiRequest, createRouter, MAX_BODY_BYTES } from '../../../shared/api/router';
import type { Principal } from '../../../shared/domain/principal';
import type { Logger } from '../../../shared/ports/logger';
import { rememberSecret } from '../../support/secrets';

const ADMIN_KEY = 'ork_router-test-admin-key-0001';
const READER_KEY = 'ork_router-test-reader-key-0002';
rememberSecret(ADMIN_KEY, READER_KEY);

const principals: Record<string, Principal> = {
  [ADMIN_KEY]: { kind: 'api_key', id: 'key_admin', scopes: ['admin'] },
  [READER_KEY]: { kind: 'api_key', id: 'key_reader', scopes: ['tokens:read'] },
};

const widgetBody = z.object({
  name: z.string().min(1),
  size: z.number().int().min(1).max(10),
  tags: z.array(z.string()).optional(),
});

type Deps = { readonly tag: string };
const routes = [
  route<Deps>({
    operationId: 'open',
    summary: 'open',
    tags: [],
    method: 'GET',
    path: '/open',
    auth: 'public',
    responses: { 200: { description: 'ok' } },
    handle: async ({ deps }) => ({ status: 200, body: { tag: deps.tag } }),
  }),
  route<Deps, { id: string }, { limit: number }>({
    operationId: 'read',
    summary: 'read',
    tags: [],
    method: 'GET',
    path: '/v1/widgets/{id}',
    auth: 'tokens:read',
    params: z.object({ id: z.string().regex(/^[a-z]+$/) }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
    responses: { 200: { description: 'ok' } },
    handle: async ({ params, query }) => ({ status: 200, body: { id: params.id, limit: query.limit } }),
  }),
  route<Deps, { id: string }, undefined, z.output<typeof widgetBody>>({
    operationId: 'write',
    summary: 'write',
    tags: [],
    method: 'PUT',
    path: '/v1/widgets/{id}',
    auth: 'admin',
    params: z.object({ id: z.string() }),
    body: widgetBody,
    responses: { 201: { description: 'created' } },
    handle: async ({ body }) => ({ status: 201, body }),
  }),
  route<Deps>({
    operationId: 'boom',
    summary: 'boom',
    tags: [],
    method: 'GET',
    path: '/v1/boom',
    auth: 'admin',
    responses: { 200: { description: 'never' } },
    handle: async () => {
      throw new TypeError('secret internals at /srv/app.ts:42');
    },
  }),
];

function setup() {
  const logger: Logger = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  const authenticate = vi.fn(async (key: string) => principals[key] ?? null);
  const router = createRouter<Deps>({ routes, deps: { tag: 'deps' }, authenticate, logger });
  const call = async (partial: Partial<ApiRequest> & { key?: string }) => {
    const { key, ...rest } = partial;
    const response = await router({
      method: 'GET',
      path: '/open',
      query: {},
      body: undefined,
      requestId: 'req-1',
      ...rest,
      headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...rest.headers },
    });
    return { ...response, json: response.body === '' ? undefined : JSON.parse(response.body) };
  };
  const put = (body: string | undefined, contentType = 'application/json') =>
    call({
      method: 'PUT',
      path: '/v1/widgets/abc',
      key: ADMIN_KEY,
      headers: { 'content-type': contentType },
      body,
    });
  return { call, put, logger, authenticate };
}

/** api.md: every non-2xx answer is JSON `{"error": {"code", "message", "details"?}}` and nothing else. */
function expectEnvelope(
  response: { status: number; headers: Record<string, string>; json: unknown },
  status: number,
  code: string,
) {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toBe('application/json');
  const envelope = response.json as { error: Record<string, unknown> };
  expect(Object.keys(envelope)).toEqual(['error']);
  expect(envelope.error).toMatchObject({ code, message: expect.any(String) });
  expect(Object.keys(envelope.error).filter((k) => !['code', 'message', 'details'].includes(k))).toEqual([]);
}

describe('createRouter', () => {
  it('serves a public route without a key, with no-store caching', async () => {
    const { call, authenticate } = setup();
    const response = await call({});
    expect(response).toMatchObject({ status: 200, json: { tag: 'deps' } });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(authenticate).not.toHaveBeenCalled();
  });

  it('answers 404 not_found for an unknown path or method', async () => {
    const { call } = setup();
    expectEnvelope(await call({ path: '/v1/nothing', key: ADMIN_KEY }), 404, 'not_found');
    expectEnvelope(
      await call({ method: 'DELETE', path: '/v1/widgets/abc', key: ADMIN_KEY }),
      404,
      'not_found',
    );
  });

  it.each([
    ['no authorization header', {}],
    ['a wrong key', { authorization: 'Bearer ork_not-a-real-key' }],
    ['another scheme', { authorization: `Basic ${ADMIN_KEY}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('answers 401 with www-authenticate for %s', async (_case, headers) => {
    const { call } = setup();
    const response = await call({ path: '/v1/widgets/abc', headers });
    expectEnvelope(response, 401, 'unauthorized');
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers 401 for any /v1 path without a valid key, whether or not the route exists', async () => {
    const { call } = setup();
    for (const path of ['/v1/nothing', '/v1', '/v1/widgets/abc/extra', '/v1/api-keys']) {
      for (const headers of [{}, { authorization: 'Bearer ork_not-a-real-key' }]) {
        const response = await call({ path, headers });
        expectEnvelope(response, 401, 'unauthorized');
      }
    }
    // A wrong method on an existing path reveals nothing either.
    expectEnvelope(await call({ method: 'DELETE', path: '/v1/widgets/abc' }), 401, 'unauthorized');
    // Outside /v1 an unknown path is still a plain 404.
    expectEnvelope(await call({ path: '/nothing' }), 404, 'not_found');
  });

  it('answers HEAD like GET without a body', async () => {
    const { call } = setup();
    const get = await call({ path: '/open' });
    const head = await call({ method: 'HEAD', path: '/open' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers).toEqual(get.headers);
    const unauthorized = await call({ method: 'HEAD', path: '/v1/widgets/abc' });
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.body).toBe('');
    expect((await call({ method: 'HEAD', path: '/v1/widgets/abc', key: READER_KEY })).status).toBe(200);
  });

  it('hands the route the principal of the key that called it', async () => {
    const seen: unknown[] = [];
    const router = createRouter<Deps>({
      routes: [
        route<Deps>({
          operationId: 'who',
          summary: 'who',
          tags: [],
          method: 'GET',
          path: '/v1/who',
          auth: 'tokens:read',
          responses: { 200: { description: 'ok' } },
          handle: async ({ principal }) => {
            seen.push(principal);
            return { status: 204 };
          },
        }),
      ],
      deps: { tag: 'x' },
      authenticate: async (key) => principals[key] ?? null,
      logger: { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() },
    });
    const response = await router({
      method: 'GET',
      path: '/v1/who',
      query: {},
      headers: { authorization: `Bearer ${READER_KEY}` },
      body: undefined,
      requestId: 'r',
    });
    expect(response.status).toBe(204);
    expect(seen).toEqual([principals[READER_KEY]]);
  });

  it('lets a tokens:read key read but answers 403 forbidden on an admin route', async () => {
    const { call, put } = setup();
    expect((await call({ path: '/v1/widgets/abc', key: READER_KEY })).status).toBe(200);
    const response = await call({
      method: 'PUT',
      path: '/v1/widgets/abc',
      key: READER_KEY,
      headers: { 'content-type': 'application/json' },
      body: '{"name":"w","size":1}',
    });
    expectEnvelope(response, 403, 'forbidden');
    expect((await put('{"name":"w","size":1}')).status).toBe(201);
  });

  it('checks the key before the body, so an unauthenticated caller learns nothing about validation', async () => {
    const { call } = setup();
    const response = await call({ method: 'PUT', path: '/v1/widgets/abc', body: 'not json' });
    expectEnvelope(response, 401, 'unauthorized');
  });

  it('accepts application/json with parameters and answers 415 for other media types', async () => {
    const { put } = setup();
    expect((await put('{"name":"w","size":1}', 'application/json; charset=utf-8')).status).toBe(201);
    expectEnvelope(await put('{"name":"w","size":1}', 'text/plain'), 415, 'unsupported_media_type');
    expectEnvelope(await put('{"name":"w","size":1}', ''), 415, 'unsupported_media_type');
  });

  it('answers 413 for a body over 64 KB', async () => {
    const { put } = setup();
    const big = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES), size: 1 });
    expectEnvelope(await put(big), 413, 'payload_too_large');
  });

  it('answers 400 with a details entry for malformed JSON', async () => {
    const { put } = setup();
    const response = await put('{"name": ');
    expectEnvelope(response, 400, 'invalid_request');
    expect(response.json.error.details).toEqual([{ path: '', message: expect.any(String) }]);
  });

  it('answers 400 listing the path of every invalid body field', async () => {
    const { put } = setup();
    const response = await put(JSON.stringify({ name: '', size: 11, tags: ['ok', 3] }));
    expectEnvelope(response, 400, 'invalid_request');
    const paths = (response.json.error.details as Array<{ path: string }>).map((d) => d.path);
    expect(paths.sort()).toEqual(['body.name', 'body.size', 'body.tags.1']);
  });

  it('answers 400 for an invalid path parameter and an out-of-range query value', async () => {
    const { call } = setup();
    const badParam = await call({ path: '/v1/widgets/ABC', key: READER_KEY });
    expectEnvelope(badParam, 400, 'invalid_request');
    expect(badParam.json.error.details).toEqual([{ path: 'path.id', message: expect.any(String) }]);
    const badQuery = await call({ path: '/v1/widgets/abc', key: READER_KEY, query: { limit: '501' } });
    expectEnvelope(badQuery, 400, 'invalid_request');
    expect(badQuery.json.error.details).toEqual([{ path: 'query.limit', message: expect.any(String) }]);
    const ok = await call({ path: '/v1/widgets/abc', key: READER_KEY, query: { limit: '7' } });
    expect(ok.json).toEqual({ id: 'abc', limit: 7 });
  });

  it('answers 500 internal_error without internals for an unexpected throw, and logs no message', async () => {
    const { call, logger } = setup();
    const response = await call({ path: '/v1/boom', key: ADMIN_KEY });
    expectEnvelope(response, 500, 'internal_error');
    expect(response.body).not.toContain('secret internals');
    expect(response.body).not.toContain('TypeError');
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(vi.mocked(logger.error).mock.calls)).not.toContain('secret internals');
  });
});
