import { lookup as dnsLookup } from 'node:dns';
import {
  type AgentOptions,
  type ClientRequest,
  type ClientRequestArgs,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Duplex, Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { guardLookup, literalAddressRefusal, type UrlPolicy } from '../../policy/ssrf';
import {
  CONNECT_TIMEOUT_CODE,
  type HttpRequestInit,
  type HttpResponse,
  type HttpTransport,
  HttpTransportError,
} from '../../ports/http';

/**
 * The outbound HTTP(S) transport for provider token calls and webhooks, on Node's own `http` and
 * `https` modules (keep-alive agents): no redirects (Node never follows them), a connect timeout,
 * a deadline, a capped body (decoded when a server compresses it unasked), connect-time SSRF checks, and a report of how far each request got.
 */

export interface HttpTransportOptions extends UrlPolicy {
  /** TCP connect plus TLS handshake, per new socket. @default 5000 */
  readonly connectTimeoutMs?: number;
  /** DNS resolver (tests inject one to simulate rebinding). @default dns.lookup */
  readonly lookup?: LookupFunction;
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots (a private CA; tests). */
  readonly ca?: string;
}

function codedError(message: string, code: string, cause?: unknown): Error {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  return Object.assign(error, { code });
}

function abortError(signal: AbortSignal): Error {
  return Object.assign(codedError('request aborted', 'ABORT_ERR', signal.reason), { name: 'AbortError' });
}

type OnCreate = (err: Error | null, socket: Duplex) => void;
type CreateConnection = (options: ClientRequestArgs, oncreate?: OnCreate) => Duplex | null | undefined;

/** Connect-time policy shared by both agents. */
class ConnectPolicy {
  /** Sockets that finished connecting (TLS included): a request assigned one is sent at once. */
  readonly established = new WeakSet<Duplex>();

  constructor(
    readonly guard: boolean,
    readonly timeoutMs: number,
    readonly lookup: LookupFunction,
    /** `connect` for TCP, `secureConnect` for TLS. */
    readonly readyEvent: 'connect' | 'secureConnect',
  ) {}

  /** The agent's `createConnection`, guarded: IP literals checked, lookup replaced, connect timed. */
  connect(
    base: CreateConnection,
    options: ClientRequestArgs,
    oncreate?: OnCreate,
  ): Duplex | null | undefined {
    if (this.guard) {
      // net/tls skip the lookup for IP literals, so check those here.
      const refused = literalAddressRefusal(options.host ?? options.hostname ?? '');
      if (refused !== null) {
        if (oncreate === undefined) throw refused;
        // The agent hands this error to the request, which emits it: nothing was connected or sent.
        oncreate(refused, undefined as unknown as Duplex);
        return undefined;
      }
    }
    const socket = base({ ...options, lookup: this.lookup }, oncreate);
    if (socket) this.#watch(socket);
    return socket;
  }

  #watch(socket: Duplex): void {
    const timer = setTimeout(() => {
      const message = `connect timed out after ${this.timeoutMs} ms`;
      socket.destroy(codedError(message, CONNECT_TIMEOUT_CODE));
    }, this.timeoutMs);
    timer.unref();
    const onClose = () => clearTimeout(timer);
    socket.once(this.readyEvent, () => {
      clearTimeout(timer);
      socket.removeListener('close', onClose);
      this.established.add(socket);
    });
    socket.once('close', onClose);
  }
}

class GuardedHttpAgent extends HttpAgent {
  readonly policy: ConnectPolicy;

  constructor(policy: ConnectPolicy, options: AgentOptions) {
    super(options);
    this.policy = policy;
  }

  override createConnection(options: ClientRequestArgs, oncreate?: OnCreate): Duplex | null | undefined {
    return this.policy.connect((o, cb) => super.createConnection(o, cb), options, oncreate);
  }
}

class GuardedHttpsAgent extends HttpsAgent {
  readonly policy: ConnectPolicy;

  constructor(policy: ConnectPolicy, options: AgentOptions & { ca?: string }) {
    super(options);
    this.policy = policy;
  }

  override createConnection(options: ClientRequestArgs, oncreate?: OnCreate): Duplex | null | undefined {
    return this.policy.connect((o, cb) => super.createConnection(o, cb), options, oncreate);
  }
}

/**
 * Idle keep-alive sockets are closed after 4 s (sooner if the server's `Keep-Alive: timeout` hint
 * says so): servers and NATs drop idle connections, and a request written to a dropped one can
 * only fail after it was sent (ambiguous).
 */
const IDLE_SOCKET_TIMEOUT_MS = 4_000;

/**
 * Creates the transport. Unless `allowPrivate`, every new connection is checked at connect time:
 * literal IP hosts before connecting, host names after DNS resolution ({@link guardLookup}, which
 * also defeats DNS rebinding). A refusal fails the request before anything is sent, with the
 * `url_not_allowed` ServiceError as the cause. Redirects are never followed, so no hop escapes it.
 */
export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  const inner = options.lookup ?? (dnsLookup as LookupFunction);
  const guard = !options.allowPrivate;
  const lookup = guard ? guardLookup(inner) : inner;
  const agentOptions: AgentOptions = { keepAlive: true, timeout: IDLE_SOCKET_TIMEOUT_MS };
  const httpAgent = new GuardedHttpAgent(
    new ConnectPolicy(guard, timeoutMs, lookup, 'connect'),
    agentOptions,
  );
  const httpsAgent = new GuardedHttpsAgent(
    new ConnectPolicy(guard, timeoutMs, lookup, 'secureConnect'),
    options.ca === undefined ? agentOptions : { ...agentOptions, ca: options.ca },
  );

  function request(url: string, init: HttpRequestInit): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let status: number | null = null; // set once the answer's head arrived
      let req: ClientRequest | undefined;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        init.signal.removeEventListener('abort', onAbort);
        return true;
      };
      const fail = (error: unknown, answered: number | null): void => {
        if (settle()) reject(new HttpTransportError(error, answered));
      };
      const succeed = (response: HttpResponse): void => {
        if (settle()) resolve(response);
      };
      const onAbort = (): void => {
        const error = abortError(init.signal);
        fail(error, status);
        req?.destroy(error);
      };

      let policy: ConnectPolicy;
      try {
        const target = new URL(url);
        const secure = target.protocol === 'https:';
        if (!secure && target.protocol !== 'http:') {
          throw codedError('unsupported URL scheme', 'ERR_INVALID_PROTOCOL');
        }
        const agent = secure ? httpsAgent : httpAgent;
        policy = agent.policy;
        req = (secure ? httpsRequest : httpRequest)(target, {
          method: init.method,
          headers: init.headers,
          agent,
        });
      } catch (error) {
        fail(error, null); // nothing was created, so nothing was sent
        return;
      }
      init.onState?.('connecting');
      req.on('error', (error) => fail(error, status));
      req.once('socket', (socket: Duplex) => {
        const sent = (): void => {
          if (!settled) init.onState?.('sent');
        };
        if (policy.established.has(socket)) sent();
        else socket.once(policy.readyEvent, sent);
      });
      req.once('response', (res: IncomingMessage) => {
        status = res.statusCode ?? 0;
        readBody(res, status, init.maxResponseBytes, succeed, fail);
      });
      if (init.signal.aborted) {
        onAbort();
        return;
      }
      init.signal.addEventListener('abort', onAbort, { once: true });
      req.end(init.body);
    });
  }

  return {
    request,
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function readBody(
  res: IncomingMessage,
  status: number,
  maxBytes: number,
  succeed: (response: HttpResponse) => void,
  fail: (error: unknown, answered: number | null) => void,
): void {
  let headers: Headers;
  try {
    headers = new Headers();
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
      headers.append(res.rawHeaders[i] ?? '', res.rawHeaders[i + 1] ?? '');
    }
  } catch (error) {
    res.destroy();
    fail(error, status);
    return;
  }
  let body: Readable = res;
  const decoder = decoderFor(headers.get('content-encoding'));
  if (decoder !== undefined) {
    // We ask for no compression; a server that compresses anyway is decoded rather than refused.
    body = res.pipe(decoder);
    decoder.on('error', (error) => {
      res.destroy();
      fail(error, status);
    });
  }
  const chunks: Buffer[] = [];
  let total = 0;
  body.on('data', (chunk: Buffer) => {
    total += chunk.byteLength;
    if (total > maxBytes) {
      // Decoded bytes count, so a small compressed body cannot expand without bound.
      succeed({ status, headers, bodyText: null });
      res.destroy(); // the rest is never read; the socket is not reused
      if (body !== res) body.destroy();
      return;
    }
    chunks.push(chunk);
  });
  body.once('end', () =>
    succeed({ status, headers, bodyText: new TextDecoder().decode(Buffer.concat(chunks)) }),
  );
  res.on('error', (error) => fail(error, status));
  res.once('close', () => {
    if (!res.complete) fail(codedError('response closed before its end', 'ECONNRESET'), status);
  });
}

/** A decoder for a `content-encoding` Node can undo; undefined for none, identity or an unknown one. */
function decoderFor(encoding: string | null): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}
