import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionView } from '../../shared/api/schemas/connections';
import type { ConnectionBatchOutput } from '../../shared/api/schemas/connections-batch';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { rememberSecret } from '../support/secrets';

const BATCH = '/v1/integrations/crm/connections/batch';
/** The single import's body (no `connection_id`: it is in the path). */
const single = (id: string, extra: Record<string, unknown> = {}) => {
  const { connection_id: _, ...body } = item(id, extra);
  return body;
};
const item = (id: string, extra: Record<string, unknown> = {}) => {
  const accessToken = `at-${id}-0123456789abcdef`;
  const refreshToken = `rt-${id}-0123456789abcdef`;
  rememberSecret(accessToken, refreshToken);
  return {
    connection_id: id,
    access_token: accessToken,
    refresh_token: refreshToken,
    expires_in: 3600,
    ...extra,
  };
};

// api.md v1.1 "POST /v1/integrations/{integration_id}/connections/batch", through the local runtime.
describe('connections batch import API', () => {
  let svc: TestRuntime;

  beforeAll(async () => {
    svc = await startTestRuntime();
    rememberSecret('crm-client-secret');
    const res = await svc.api.put('/v1/integrations/crm', {
      provider: 'custom',
      client_id: 'crm',
      client_secret: 'crm-client-secret',
      token_url: 'http://127.0.0.1:9/token',
    });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await svc?.stop();
  });

  it('answers each item on its own: 201 new, 200 replaced, 400 invalid, in request order', async () => {
    expect((await svc.api.put('/v1/integrations/crm/connections/existing', single('existing'))).status).toBe(
      201,
    );
    const res = await svc.api.post<ConnectionBatchOutput>(BATCH, {
      body: {
        items: [
          item('new-1', { metadata: { customer: 'acme' } }),
          { connection_id: 'bad', access_token: '' },
          item('existing'),
          { connection_id: 'no such id!', access_token: 'x' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.items.map((i) => [i.connection_id, i.status])).toEqual([
      ['new-1', 201],
      ['bad', 400],
      ['existing', 200],
      ['no such id!', 400],
    ]);
    expect(res.body.items[0]?.connection).toMatchObject({
      integration_id: 'crm',
      connection_id: 'new-1',
      status: 'active',
      metadata: { customer: 'acme' },
    });
    expect(res.body.items[1]?.error).toMatchObject({
      code: 'invalid_request',
      details: [{ path: 'body.items.1.access_token' }],
    });
    expect(res.body.items[1]?.connection).toBeUndefined();
    const read = await svc.api.get<ConnectionView>('/v1/integrations/crm/connections/new-1');
    expect(read.status).toBe(200);
    expect(svc.api.leaked([item('new-1').access_token, item('new-1').refresh_token])).toEqual([]);
  });

  it('is idempotent on connection_id: the same batch again replaces, and a repeated id ends with its last item', async () => {
    const body = {
      items: [item('idem-1'), item('idem-2', { metadata: { v: 1 } }), item('idem-2', { metadata: { v: 2 } })],
    };
    const first = await svc.api.post<ConnectionBatchOutput>(BATCH, { body });
    expect(first.body.items.map((i) => i.status)).toEqual([201, 201, 200]);
    const again = await svc.api.post<ConnectionBatchOutput>(BATCH, { body });
    expect(again.body.items.map((i) => i.status)).toEqual([200, 200, 200]);
    const view = await svc.api.get<ConnectionView>('/v1/integrations/crm/connections/idem-2');
    expect(view.body.metadata).toEqual({ v: 2 });
  });

  it('takes 100 items and a body over 64 KB; refuses 0 or 101 items (400) and a body over 1 MiB (413)', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) =>
      item(`big-${i}`, { raw: { pad: 'x'.repeat(1_000) } }),
    );
    expect(JSON.stringify({ items: hundred }).length).toBeGreaterThan(64 * 1024);
    const ok = await svc.api.post<ConnectionBatchOutput>(BATCH, { body: { items: hundred } });
    expect(ok.status).toBe(200);
    expect(ok.body.items.filter((i) => i.status === 201)).toHaveLength(100);

    const over = await svc.api.post(BATCH, { body: { items: [...hundred, item('big-100')] } });
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('invalid_request');
    const empty = await svc.api.post(BATCH, { body: { items: [] } });
    expect(empty.status).toBe(400);
    const huge = await svc.api.post(BATCH, {
      body: { items: [item('huge', { raw: { pad: 'x'.repeat(1_100_000) } })] },
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    // Other routes keep the 64 KB limit.
    const put = await svc.api.put(
      '/v1/integrations/crm/connections/single',
      single('single', { raw: { pad: 'x'.repeat(70_000) } }),
    );
    expect(put.status).toBe(413);
  });

  it('404s an unknown integration; needs the admin scope; leaves PUT .../connections/batch a connection', async () => {
    const unknown = await svc.api.post('/v1/integrations/nope/connections/batch', {
      body: { items: [item('a')] },
    });
    expect(unknown.status).toBe(404);

    const created = await svc.api.post<{ api_key: string }>('/v1/api-keys', {
      body: { name: 'reader', scope: 'tokens:read' },
    });
    expect(created.status).toBe(201);
    rememberSecret(created.body.api_key);
    const forbidden = await svc.api.post(BATCH, { body: { items: [item('a')] }, key: created.body.api_key });
    expect(forbidden.status).toBe(403);

    // `batch` is a valid connection id: PUT/GET on it are the single-connection routes.
    const put = await svc.api.put<ConnectionView>('/v1/integrations/crm/connections/batch', single('batch'));
    expect(put.status).toBe(201);
    expect(put.body.connection_id).toBe('batch');
    const get = await svc.api.get<ConnectionView>('/v1/integrations/crm/connections/batch');
    expect(get.body.connection_id).toBe('batch');
  });

  it('is in the OpenAPI document with its own body limit', async () => {
    const doc = await svc.api.get<{
      paths: Record<
        string,
        Record<string, { responses: Record<string, unknown>; 'x-required-scope': string }>
      >;
    }>('/v1/openapi.json');
    const op = doc.body.paths['/v1/integrations/{integration_id}/connections/batch']?.post;
    expect(op?.['x-required-scope']).toBe('admin');
    expect(op?.responses['413']).toMatchObject({ description: 'The body is over 1048576 bytes' });
  });
});
