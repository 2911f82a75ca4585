// A scriptable token endpoint ("provider double") for behaviours oidc-provider cannot show: outages,
// 429s, slow or lost responses, grace-window rotation, responses without refresh_token.
// It either proxies to an upstream token endpoint (e.g. the oidc-provider harness) or serves its own
// in-memory token families.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** Modes that need no parameters (`'grace'` then uses the `graceSeconds` start option). */
export type SimpleModeName =
  | 'proxy'
  | 'rotate_then_drop'
  | 'hang'
  | 'grace'
  | 'strict_local'
  | 'omit_refresh_token';

export type ProviderDoubleMode =
  /** Forward body + headers to `upstream` and relay the answer (local strict families without upstream). */
  | { readonly mode: 'proxy' }
  /** Answer this status/body/headers without touching upstream. Body default: `{"error":"temporarily_unavailable"}`. */
  | {
      readonly mode: 'status';
      readonly status: number;
      readonly body?: string | Readonly<Record<string, unknown>>;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Wait, then proxy (the upstream still processes the request if the client gave up meanwhile). */
  | { readonly mode: 'slow'; readonly delayMs: number; readonly graceSeconds?: number }
  /** Proxy (the provider rotates), then destroy the client socket without answering. */
  | { readonly mode: 'rotate_then_drop'; readonly graceSeconds?: number }
  /** Never answer (the socket stays open until the client gives up or `close()`). */
  | { readonly mode: 'hang' }
  /** Local rotating provider; the previous refresh token stays valid `graceSeconds` after rotation. */
  | { readonly mode: 'grace'; readonly graceSeconds: number }
  /** Local rotating provider without grace: any reuse revokes the family. */
  | { readonly mode: 'strict_local' }
  /** Local non-rotating provider whose responses omit `refresh_token`. */
  | { readonly mode: 'omit_refresh_token' };

export type ProviderDoubleModeName = ProviderDoubleMode['mode'];

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly rawBody: string;
  /** Parsed `application/x-www-form-urlencoded` body. */
  readonly form: Readonly<Record<string, string>>;
  readonly clientAuth: {
    readonly method: 'client_secret_basic' | 'client_secret_post' | 'none';
    readonly clientId: string | undefined;
    readonly clientSecret: string | undefined;
  };
  /** The mode that handled it. */
  readonly mode: ProviderDoubleModeName;
  /** Epoch ms (double's clock) at arrival. */
  readonly receivedAt: number;
}

export interface RequestLog {
  count: number;
  last: RecordedRequest | undefined;
  all: RecordedRequest[];
  /** Highest number of requests in flight at once. */
  maxConcurrent: number;
}

export interface LocalStats {
  /** Successful refreshes answered by the local families. */
  refreshes: number;
  /** Previous refresh token accepted within the grace window. */
  reuseWithinGrace: number;
  /** Families revoked because of reuse. */
  familiesRevoked: number;
  invalidGrant: number;
}

export interface FamilyState {
  readonly revoked: boolean;
  /** The currently valid refresh token of the family. */
  readonly current: string;
  readonly rotations: number;
}

export interface StartProviderDoubleOptions {
  /** Upstream token endpoint for proxying modes (e.g. `harness.tokenUrl`). */
  readonly upstream?: string;
  /** Initial mode. Default `'proxy'` with an upstream, otherwise `'strict_local'`. */
  readonly mode?: ProviderDoubleMode | SimpleModeName;
  /** Grace window used by the bare `'grace'` mode name. Default 30. */
  readonly graceSeconds?: number;
  /** `expires_in` of locally issued access tokens. Default 3600. */
  readonly accessTokenTtlSeconds?: number;
  /** If set, local modes require these client credentials (basic or post), else 401 invalid_client. */
  readonly client?: { readonly id: string; readonly secret: string };
  /** Clock for the grace window (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

export interface ProviderDouble {
  /** The token endpoint URL (any path is accepted; this one is `/token`). */
  readonly url: string;
  readonly requests: RequestLog;
  readonly localStats: LocalStats;
  readonly mode: ProviderDoubleMode;
  setMode(mode: ProviderDoubleMode | SimpleModeName): void;
  /** Use `mode` for the next request only (queued, FIFO), then fall back to the current mode. */
  once(mode: ProviderDoubleMode | SimpleModeName): void;
  /** Starts a token family for the local modes; returns its initial refresh token (`rt_<n>_<hex>`). */
  mintFamily(options?: { readonly scope?: string }): string;
  /** State of the family a refresh token belongs to, or undefined if unknown. */
  family(refreshToken: string): FamilyState | undefined;
  resetRequests(): void;
  close(): Promise<void>;
}

interface Family {
  revoked: boolean;
  current: string;
  previous: { token: string; rotatedAt: number } | undefined;
  rotations: number;
  scope: string | undefined;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const HOP_BY_HOP = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'expect',
  'upgrade',
]);
const RELAY_SKIP = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'content-encoding',
]);

function json(status: number, body: unknown, headers: Record<string, string> = {}): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

function toMode(mode: ProviderDoubleMode | SimpleModeName, graceSeconds: number): ProviderDoubleMode {
  if (typeof mode !== 'string') return mode;
  return mode === 'grace' ? { mode, graceSeconds } : { mode };
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function parseClientAuth(
  headers: Record<string, string>,
  form: Record<string, string>,
): RecordedRequest['clientAuth'] {
  const authorization = headers.authorization;
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    try {
      return {
        method: 'client_secret_basic',
        clientId: formDecode(i === -1 ? decoded : decoded.slice(0, i)),
        clientSecret: i === -1 ? undefined : formDecode(decoded.slice(i + 1)),
      };
    } catch {
      return { method: 'client_secret_basic', clientId: undefined, clientSecret: undefined };
    }
  }
  if (form.client_secret !== undefined) {
    return { method: 'client_secret_post', clientId: form.client_id, clientSecret: form.client_secret };
  }
  return { method: 'none', clientId: form.client_id, clientSecret: undefined };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the double on http://127.0.0.1:<random port>/token. Always `close()` it. */
export async function startProviderDouble(options: StartProviderDoubleOptions = {}): Promise<ProviderDouble> {
  const { upstream } = options;
  const now = options.now ?? Date.now;
  const defaultGrace = options.graceSeconds ?? 30;
  const expiresIn = options.accessTokenTtlSeconds ?? 3600;
  const tag = randomBytes(4).toString('hex');

  let mode: ProviderDoubleMode = toMode(options.mode ?? (upstream ? 'proxy' : 'strict_local'), defaultGrace);
  const queued: ProviderDoubleMode[] = [];
  const requests: RequestLog = { count: 0, last: undefined, all: [], maxConcurrent: 0 };
  const localStats: LocalStats = { refreshes: 0, reuseWithinGrace: 0, familiesRevoked: 0, invalidGrant: 0 };
  const families = new Map<string, Family>();
  let inFlight = 0;
  let counter = 0;
  const nextToken = (prefix: 'rt' | 'at') => {
    counter += 1;
    return `${prefix}_${counter}_${tag}${randomBytes(4).toString('hex')}`;
  };

  const invalidGrant = (description: string): Reply => {
    localStats.invalidGrant += 1;
    return json(400, { error: 'invalid_grant', error_description: description });
  };

  /** The self-contained provider. `graceSeconds` null = non-rotating (omits refresh_token). */
  const local = (record: RecordedRequest, graceSeconds: number | null): Reply => {
    const { form, clientAuth } = record;
    if (options.client) {
      if (clientAuth.clientId !== options.client.id || clientAuth.clientSecret !== options.client.secret) {
        return json(
          401,
          { error: 'invalid_client' },
          { 'www-authenticate': 'Basic realm="provider-double"' },
        );
      }
    }
    if (form.grant_type !== 'refresh_token') return json(400, { error: 'unsupported_grant_type' });
    const presented = form.refresh_token;
    if (!presented)
      return json(400, { error: 'invalid_request', error_description: 'refresh_token missing' });
    const family = families.get(presented);
    if (!family) return invalidGrant('refresh token not found');
    if (family.revoked) return invalidGrant('refresh token family revoked');

    const tokens = (refreshToken: string | undefined): Reply => {
      localStats.refreshes += 1;
      return json(200, {
        access_token: nextToken('at'),
        token_type: 'Bearer',
        expires_in: expiresIn,
        ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
        ...(family.scope === undefined ? {} : { scope: family.scope }),
      });
    };

    if (graceSeconds === null) {
      return presented === family.current
        ? tokens(undefined)
        : invalidGrant('refresh token is no longer valid');
    }
    if (presented === family.current) {
      const rotated = nextToken('rt');
      family.previous = { token: presented, rotatedAt: now() };
      family.current = rotated;
      family.rotations += 1;
      families.set(rotated, family);
      return tokens(rotated);
    }
    if (family.previous?.token === presented && now() - family.previous.rotatedAt < graceSeconds * 1000) {
      localStats.reuseWithinGrace += 1;
      return tokens(family.current);
    }
    family.revoked = true;
    localStats.familiesRevoked += 1;
    return invalidGrant('refresh token reused; family revoked');
  };

  const proxy = async (req: IncomingMessage, record: RecordedRequest, localGrace: number): Promise<Reply> => {
    if (!upstream) return local(record, localGrace);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(record.headers)) {
      if (!HOP_BY_HOP.has(name)) headers[name] = value;
    }
    try {
      const res = await fetch(upstream, {
        method: req.method ?? 'POST',
        headers,
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: record.rawBody }),
        redirect: 'manual',
      });
      const relayed: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        if (!RELAY_SKIP.has(name)) relayed[name] = value;
      });
      return { status: res.status, headers: relayed, body: await res.text() };
    } catch (err) {
      return json(502, { error: 'bad_gateway', error_description: String(err) });
    }
  };

  const send = (res: ServerResponse, reply: Reply) => {
    if (res.destroyed || res.writableEnded || res.socket?.destroyed) return;
    res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(reply.body) });
    res.end(reply.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const rawBody = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const form = Object.fromEntries(new URLSearchParams(rawBody));
    const active = queued.shift() ?? mode;
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers,
      rawBody,
      form,
      clientAuth: parseClientAuth(headers, form),
      mode: active.mode,
      receivedAt: now(),
    };
    requests.count += 1;
    requests.last = record;
    requests.all.push(record);

    switch (active.mode) {
      case 'proxy':
        return send(res, await proxy(req, record, 0));
      case 'status': {
        const body = active.body ?? { error: 'temporarily_unavailable' };
        const isText = typeof body === 'string';
        return send(res, {
          status: active.status,
          headers: {
            'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
            ...active.headers,
          },
          body: isText ? body : JSON.stringify(body),
        });
      }
      case 'slow':
        await sleep(active.delayMs);
        return send(res, await proxy(req, record, active.graceSeconds ?? 0));
      case 'rotate_then_drop':
        await proxy(req, record, active.graceSeconds ?? 0);
        req.socket.destroy();
        return undefined;
      case 'hang':
        return undefined;
      case 'grace':
        return send(res, local(record, active.graceSeconds));
      case 'strict_local':
        return send(res, local(record, 0));
      case 'omit_refresh_token':
        return send(res, local(record, null));
    }
  };

  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    inFlight += 1;
    requests.maxConcurrent = Math.max(requests.maxConcurrent, inFlight);
    // 'close' fires once the response is sent or the socket is gone (client gave up, dropped, closed).
    res.once('close', () => {
      inFlight -= 1;
    });
    handle(req, res).catch((err: unknown) =>
      send(res, json(500, { error: 'server_error', error_description: String(err) })),
    );
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/token`,
    requests,
    localStats,
    get mode() {
      return mode;
    },
    setMode(next) {
      mode = toMode(next, defaultGrace);
    },
    once(next) {
      queued.push(toMode(next, defaultGrace));
    },
    mintFamily({ scope } = {}) {
      const token = nextToken('rt');
      families.set(token, { revoked: false, current: token, previous: undefined, rotations: 0, scope });
      return token;
    },
    family(refreshToken) {
      const f = families.get(refreshToken);
      return f ? { revoked: f.revoked, current: f.current, rotations: f.rotations } : undefined;
    },
    resetRequests() {
      requests.count = 0;
      requests.last = undefined;
      requests.all = [];
      requests.maxConcurrent = 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
