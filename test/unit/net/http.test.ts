import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, LookupFunction, Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport } from '../../../shared/adapters/http/transport';
import {
  type HttpRequestInit,
  type HttpTransport,
  HttpTransportError,
  type SendState,
} from '../../../shared/ports/http';
import { TLS_CERT, TLS_KEY } from '../../support/tls';
import { aClosedPort } from '../oauth/fixtures';

/** A loopback server that counts TCP connections and records request heads and bodies. */
interface TestServer {
  readonly origin: string;
  readonly port: number;
  connections: number;
  readonly requests: Array<{
    url: string;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>;
  handle(listener: RequestListener): void;
  close(): Promise<void>;
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<TestServer> {
  let listener: RequestListener = (_req, res) => res.writeHead(200).end('ok');
  const sockets = new Set<Socket>();
  const state: TestServer = {
    origin: '',
    port: 0,
    connections: 0,
    requests: [],
    handle(l) {
      listener = l;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on(scheme === 'https' ? 'secureConnection' : 'connection', (socket: Socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests.push({
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      listener(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, { port, origin: `${scheme}://localhost:${port}` });
}

const localhost: LookupFunction = (_host, options, callback) =>
  options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);

/** Runs one request, recording every state reported. */
async function send(
  transport: HttpTransport,
  url: string,
  overrides: Partial<HttpRequestInit> = {},
): Promise<{
  states: SendState[];
  result: Awaited<ReturnType<HttpTransport['request']>> | undefined;
  error: unknown;
}> {
  const states: SendState[] = [];
  try {
    const result = await transport.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=refresh_token&refresh_token=rt-secret-1',
      signal: AbortSignal.timeout(2000),
      maxResponseBytes: 1024,
      onState: (s) => states.push(s),
      ...overrides,
    });
    return { states, result, error: undefined };
  } catch (error) {
    return { states, result: undefined, error };
  }
}

function codesOf(error: unknown): string[] {
  const codes: string[] = [];
  for (let e = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const { code } = e as { code?: unknown };
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

describe('createHttpTransport over HTTP', () => {
  let server: TestServer;
  let transport: HttpTransport;
  beforeAll(async () => {
    server = await listen(createServer(), 'http');
  });
  afterAll(() => server.close());
  afterEach(() => {
    transport.close();
    server.requests.length = 0;
    server.connections = 0;
    server.handle((_req, res) => res.writeHead(200).end('ok'));
  });

  it('POSTs headers and body with a content-length, and returns status, Headers and the UTF-8 body', async () => {
    transport = createHttpTransport({ allowPrivate: true, lookup: localhost });
    server.handle((_req, res) =>
      res
        .writeHead(429, [
          ['retry-after', '30'],
          ['set-cookie', 'a=1'],
          ['set-cookie', 'b=2'],
          ['content-type', 'application/json; charset=utf-8'],
        ])
        .end('{"error":"slow down ✓"}'),
    );
    const { states, result } = await send(transport, `${server.origin}/token?x=1`, { body: 'name=é✓' });
    expect(states).toEqual(['connecting', 'sent']);
    expect(result?.status).toBe(429);
    expect(result?.headers).toBeInstanceOf(Headers);
    expect(result?.headers.get('retry-after')).toBe('30');
    expect(result?.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(result?.bodyText).toBe('{"error":"slow down ✓"}');
    const [req] = server.requests;
    expect(req?.url).toBe('/token?x=1');
    expect(req?.body).toBe('name=é✓');
    expect(req?.headers['content-length']).toBe('10'); // bytes, not characters
    expect(req?.headers['transfer-encoding']).toBeUndefined();
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('reuses a keep-alive connection; a reused socket is sent at once', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    const url = `http://127.0.0.1:${server.port}/token`;
    const first = await send(transport, url);
    const second = await send(transport, url);
    expect(first.result?.status).toBe(200);
    expect(second.result?.status).toBe(200);
    expect(second.states).toEqual(['connecting', 'sent']);
    expect(server.requests).toHaveLength(2);
    expect(server.connections).toBe(1);
  });

  it('does not follow a redirect', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    server.handle((req, res) => res.writeHead(302, { location: `/elsewhere${req.url ?? ''}` }).end());
    const { result } = await send(transport, `http://127.0.0.1:${server.port}/token`);
    expect(result?.status).toBe(302);
    expect(result?.headers.get('location')).toBe('/elsewhere/token');
    expect(server.requests.map((r) => r.url)).toEqual(['/token']);
  });

  it('returns bodyText null past maxResponseBytes, and the body itself at exactly the cap', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    const url = `http://127.0.0.1:${server.port}/token`;
    server.handle((_req, res) => res.writeHead(200).end('x'.repeat(1025)));
    expect((await send(transport, url)).result).toMatchObject({ status: 200, bodyText: null });
    server.handle((_req, res) => res.writeHead(200).end('x'.repeat(1024)));
    expect((await send(transport, url)).result?.bodyText).toBe('x'.repeat(1024));
  });

  it('decodes a body the server compressed unasked (gzip, deflate, br), and asks for none', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    const url = `http://127.0.0.1:${server.port}/token`;
    const json = '{"access_token":"ok ✓","token_type":"Bearer"}';
    const encoders = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync } as const;
    for (const [encoding, encode] of Object.entries(encoders)) {
      server.handle((_req, res) => res.writeHead(200, { 'content-encoding': encoding }).end(encode(json)));
      expect((await send(transport, url)).result?.bodyText, encoding).toBe(json);
    }
    expect(server.requests.map((r) => r.headers['accept-encoding'])).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('caps the decoded size of a compressed body (a small gzip bomb is cut off)', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    const bomb = gzipSync(Buffer.alloc(1_000_000)); // ~1 KB that expands to 1 MB
    expect(bomb.byteLength).toBeLessThan(1024);
    server.handle((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end(bomb));
    const { result } = await send(transport, `http://127.0.0.1:${server.port}/token`);
    expect(result).toMatchObject({ status: 200, bodyText: null });
  });

  it('a corrupt compressed body fails with the status that arrived', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    server.handle((_req, res) => res.writeHead(200, { 'content-encoding': 'gzip' }).end('not gzip at all'));
    const { error } = await send(transport, `http://127.0.0.1:${server.port}/token`);
    expect(error).toBeInstanceOf(HttpTransportError);
    expect((error as HttpTransportError).status).toBe(200);
  });

  it('cuts off an endless body at the cap instead of waiting for it', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    server.handle((_req, res) => {
      res.writeHead(200);
      res.write('y'.repeat(2048)); // and never ends
    });
    const { result, error } = await send(transport, `http://127.0.0.1:${server.port}/token`, {
      signal: AbortSignal.timeout(5000),
    });
    expect(error).toBeUndefined();
    expect(result).toMatchObject({ status: 200, bodyText: null });
  });

  it('connection refused: fails with ECONNREFUSED and never reaches sent', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    const port = await aClosedPort();
    const { states, error } = await send(transport, `http://127.0.0.1:${port}/token`);
    expect(error).toBeInstanceOf(HttpTransportError);
    expect((error as HttpTransportError).status).toBeNull();
    expect(codesOf(error)).toContain('ECONNREFUSED');
    expect(states).toEqual(['connecting']);
  });

  it('a lookup that never answers hits the connect timeout before anything is sent', async () => {
    transport = createHttpTransport({ allowPrivate: true, lookup: () => undefined, connectTimeoutMs: 50 });
    const { states, error } = await send(transport, 'http://token.example/token');
    expect(codesOf(error)).toContain('ETIMEDOUT_CONNECT');
    expect(states).toEqual(['connecting']);
  });

  it('a reset after the request was read fails after sent, with no status', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    server.handle((_req, res) => res.socket?.destroy());
    const { states, error } = await send(transport, `http://127.0.0.1:${server.port}/token`);
    expect(states).toEqual(['connecting', 'sent']);
    expect((error as HttpTransportError).status).toBeNull();
    expect(codesOf(error)).toContain('ECONNRESET');
    expect(server.requests).toHaveLength(1);
  });

  it('a body cut off mid-response fails with the status that arrived', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"access_token":"at-', () => res.socket?.destroy());
    });
    const { error } = await send(transport, `http://127.0.0.1:${server.port}/token`);
    expect(error).toBeInstanceOf(HttpTransportError);
    expect((error as HttpTransportError).status).toBe(200);
  });

  it('the deadline aborts a request whose answer never comes (ABORT_ERR, after sent)', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    server.handle(() => undefined);
    const signal = AbortSignal.timeout(100);
    const { states, error } = await send(transport, `http://127.0.0.1:${server.port}/token`, { signal });
    expect(signal.aborted).toBe(true);
    expect(states).toEqual(['connecting', 'sent']);
    expect(codesOf(error)).toContain('ABORT_ERR');
    expect((error as HttpTransportError).status).toBeNull();
  });

  it('the deadline during the body fails with the status that arrived', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    server.handle((_req, res) => {
      res.writeHead(201);
      res.write('partial'); // never ends
    });
    const { error } = await send(transport, `http://127.0.0.1:${server.port}/token`, {
      signal: AbortSignal.timeout(100),
    });
    expect(codesOf(error)).toContain('ABORT_ERR');
    expect((error as HttpTransportError).status).toBe(201);
  });

  it('an already aborted signal sends nothing', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    const { states, error } = await send(transport, `http://127.0.0.1:${server.port}/token`, {
      signal: AbortSignal.abort(),
    });
    expect(codesOf(error)).toContain('ABORT_ERR');
    expect(states).toEqual(['connecting']);
    expect(server.requests).toHaveLength(0);
  });

  it('error messages carry codes, never the URL, headers or body', async () => {
    transport = createHttpTransport({ allowPrivate: false });
    const port = await aClosedPort();
    const failures = [
      (await send(transport, `http://127.0.0.1:${port}/secret-path?token=q-secret`)).error,
      (await send(createHttpTransport({ allowPrivate: true }), `http://127.0.0.1:${port}/secret-path`)).error,
    ];
    for (const error of failures) {
      expect(error).toBeInstanceOf(HttpTransportError);
      const message = (error as Error).message;
      expect(message).toMatch(/\((url_not_allowed|ECONNREFUSED)\)$/);
      for (const leak of ['secret-path', 'q-secret', 'rt-secret-1', String(port)])
        expect(message).not.toContain(leak);
    }
  });
});

describe('createHttpTransport over HTTPS', () => {
  let server: TestServer;
  let transport: HttpTransport;
  beforeAll(async () => {
    server = await listen(createHttpsServer({ key: TLS_KEY, cert: TLS_CERT }), 'https');
  });
  afterAll(() => server.close());
  afterEach(() => {
    transport.close();
    server.requests.length = 0;
    server.connections = 0;
  });

  it('is sent only once the handshake completed, and reuses the TLS connection', async () => {
    transport = createHttpTransport({ allowPrivate: true, ca: TLS_CERT });
    const first = await send(transport, `${server.origin}/token`);
    const second = await send(transport, `${server.origin}/token`);
    expect(first).toMatchObject({ states: ['connecting', 'sent'], result: { status: 200, bodyText: 'ok' } });
    expect(second).toMatchObject({ states: ['connecting', 'sent'], result: { status: 200 } });
    expect(server.connections).toBe(1);
  });

  it('an untrusted certificate fails in the handshake: a connect-phase code, never sent', async () => {
    transport = createHttpTransport({ allowPrivate: true });
    const { states, error } = await send(transport, `${server.origin}/token`);
    expect(codesOf(error)).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(states).toEqual(['connecting']);
    expect(server.requests).toHaveLength(0);
  });

  it('checks the certificate against the host name', async () => {
    transport = createHttpTransport({ allowPrivate: true, ca: TLS_CERT, lookup: localhost });
    const { states, error } = await send(transport, `https://provider.example:${server.port}/token`);
    expect(codesOf(error)).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(states).toEqual(['connecting']);
    expect(server.requests).toHaveLength(0);
  });
});
