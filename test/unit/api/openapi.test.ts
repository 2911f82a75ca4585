import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { ApiDeps } from '../../../shared/api/deps';
import { buildOpenApiDocument, type OpenApiDocument } from '../../../shared/api/openapi';
import type { AnyRoute } from '../../../shared/api/route';
import { createRouter } from '../../../shared/api/router';
import { routes } from '../../../shared/api/routes';
import { silentLogger } from '../../../shared/ports/logger';
import { rememberSecret } from '../../support/secrets';

type Operation = {
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security: unknown[];
};
const operationOf = (doc: OpenApiDocument, r: AnyRoute<unknown>) =>
  doc.paths[r.path]?.[r.method.toLowerCase()] as Operation | undefined;

/** Every `$ref` in a JSON value, with where it was found. */
function refsIn(value: unknown, at = '$'): Array<[string, string]> {
  if (Array.isArray(value)) return value.flatMap((v, i) => refsIn(v, `${at}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(
    ([k, v]): Array<[string, string]> =>
      k === '$ref' && typeof v === 'string' ? [[at, v]] : refsIn(v, `${at}.${k}`),
  );
}

function expectRefsResolve(doc: OpenApiDocument) {
  const dangling = refsIn(doc).filter(([, ref]) => {
    const name = ref.startsWith('#/components/schemas/') ? ref.slice('#/components/schemas/'.length) : null;
    return name === null || doc.components.schemas[name] === undefined;
  });
  expect(dangling).toEqual([]);
}

describe('buildOpenApiDocument for the service routes', () => {
  const doc = buildOpenApiDocument(routes, { serverUrl: 'https://api.example', version: '1.0.0' });

  it('is an OpenAPI 3.1 document that survives JSON serialization', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.version).toBe('1.0.0');
    expect(doc.servers).toEqual([{ url: 'https://api.example' }]);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('lists every route under its path and method, with a unique operationId and responses', () => {
    const ids = new Set<string>();
    for (const r of routes) {
      const operation = operationOf(doc, r);
      expect(operation, `${r.method} ${r.path}`).toBeDefined();
      expect(operation?.operationId).toBe(r.operationId);
      expect(Object.keys(operation?.responses ?? {}).length).toBeGreaterThan(0);
      ids.add(r.operationId);
    }
    expect(ids.size).toBe(routes.length);
    expect(operationOf(doc, { path: '/health', method: 'GET' } as AnyRoute<unknown>)?.security).toEqual([]);
  });

  it('declares every path parameter as a required path parameter', () => {
    for (const r of routes) {
      const declared = (operationOf(doc, r)?.parameters ?? []).filter((p) => p.in === 'path');
      const inTemplate = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(declared.map((p) => p.name).sort(), `${r.method} ${r.path}`).toEqual(inTemplate.sort());
      expect(declared.every((p) => p.required)).toBe(true);
    }
  });

  it('documents the errors the router adds: 401/403 for keyed routes, 400/413/415 for bodies', () => {
    for (const r of routes) {
      const operation = operationOf(doc, r);
      const statuses = Object.keys(operation?.responses ?? {});
      if (r.auth !== 'public') {
        expect(statuses, r.operationId).toEqual(expect.arrayContaining(['401', '403']));
        expect(operation?.security).toEqual([{ bearerAuth: [] }, { sigv4: [] }]);
      }
      if (r.body !== undefined) {
        expect(statuses, r.operationId).toEqual(expect.arrayContaining(['400', '413', '415']));
        expect(operation?.requestBody).toMatchObject({ content: { 'application/json': {} } });
      }
      if (r.operationId === 'oauthCallback') continue; // answers a browser with pages, never JSON
      for (const status of statuses.filter((s) => Number(s) >= 400))
        expect(operation?.responses[status], `${r.operationId} ${status}`).toMatchObject({
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        });
    }
  });

  it('documents the OAuth callback, which answers browsers, without a JSON error body', () => {
    const callback = routes.find((r) => r.operationId === 'oauthCallback');
    if (callback === undefined) return; // not in this route table (yet)
    const responses = operationOf(doc, callback)?.responses ?? {};
    expect(Object.keys(responses).length).toBeGreaterThan(0);
    for (const response of Object.values(responses)) expect(response).not.toHaveProperty('content');
    expect(operationOf(doc, callback)?.security).toEqual([]);
  });

  it('resolves every $ref to a component, and offers bearer and SigV4 security', () => {
    expectRefsResolve(doc);
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: 'http', scheme: 'bearer' },
      sigv4: {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        'x-amazon-apigateway-authtype': 'awsSigv4',
      },
    });
  });
});

describe('buildOpenApiDocument schema conversion', () => {
  const Settings = z.object({ mode: z.enum(['a', 'b']).default('a') }).meta({ id: 'TestSettings' });
  const Widget = z.object({ name: z.string(), settings: Settings }).meta({ id: 'TestWidget' });
  const table: AnyRoute<unknown>[] = [
    {
      operationId: 'putWidget',
      summary: 'put',
      tags: ['widgets'],
      method: 'PUT',
      path: '/v1/widgets/{widget_id}',
      auth: 'admin',
      params: z.object({ widget_id: z.string().describe('The widget') }),
      query: z.object({ dry_run: z.enum(['true', 'false']).optional() }),
      body: Widget,
      responses: { 200: { description: 'replaced', schema: Widget }, 409: { description: 'busy' } },
      handle: async () => ({ status: 200 }),
    },
  ];
  const doc = buildOpenApiDocument(table, { version: '0' });
  const operation = operationOf(doc, table[0] as AnyRoute<unknown>);

  it('hoists schemas with an id into components and names input variants that differ', () => {
    expect(Object.keys(doc.components.schemas).sort()).toEqual(
      ['Error', 'TestSettings', 'TestSettingsInput', 'TestWidget', 'TestWidgetInput'].sort(),
    );
    expect(doc.components.schemas.TestSettings).toMatchObject({ required: ['mode'] });
    expect(doc.components.schemas.TestSettingsInput).not.toHaveProperty('required');
    expect(operation?.requestBody).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/TestWidgetInput' } } },
    });
    expect(operation?.responses['200']).toMatchObject({
      content: { 'application/json': { schema: { $ref: '#/components/schemas/TestWidget' } } },
    });
    expect(operation?.responses['409']).toMatchObject({ description: 'busy' });
    expect(doc.servers).toBeUndefined();
    expectRefsResolve(doc);
  });

  it('turns params and query objects into parameters', () => {
    expect(operation?.parameters).toEqual([
      {
        name: 'widget_id',
        in: 'path',
        required: true,
        description: 'The widget',
        schema: { type: 'string' },
      },
      { name: 'dry_run', in: 'query', required: false, schema: { type: 'string', enum: ['true', 'false'] } },
    ]);
  });

  it('refuses two different schemas under one id', () => {
    const clash = z.object({ other: z.number() }).meta({ id: 'TestWidget' });
    const both = [
      { ...table[0], operationId: 'a', responses: { 200: { description: 'a', schema: Widget } } },
      {
        ...table[0],
        operationId: 'b',
        path: '/v1/b',
        responses: { 200: { description: 'b', schema: clash } },
      },
    ] as AnyRoute<unknown>[];
    expect(() => buildOpenApiDocument(both, { version: '0' })).toThrow(/TestWidget/);
  });
});

describe('GET /v1/openapi.json', () => {
  it('serves the document to any key, tokens:read included', async () => {
    const key = 'ork_openapi-test-reader-key';
    rememberSecret(key);
    const deps = { config: { publicUrl: 'https://api.example' } } as unknown as ApiDeps;
    const router = createRouter({
      routes,
      deps,
      logger: silentLogger,
      authenticate: async (k) =>
        k === key ? { kind: 'api_key', id: 'key_r', scopes: ['tokens:read'] } : null,
    });
    const request = { method: 'GET', path: '/v1/openapi.json', query: {}, body: undefined, requestId: 'r' };
    expect((await router({ ...request, headers: {} })).status).toBe(401);
    const response = await router({ ...request, headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const served = JSON.parse(response.body) as OpenApiDocument;
    expect(served.openapi).toBe('3.1.0');
    expect(served.paths['/v1/openapi.json']?.get).toMatchObject({ operationId: 'getOpenApiDocument' });
  });
});
