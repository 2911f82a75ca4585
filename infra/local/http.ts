import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Logger } from '../../shared/ports/logger';
import { silentLogger } from '../../shared/ports/logger';
import { LOCAL_ACCOUNT_ID, lambdaContext, withTimeout } from './context';
import { LOCAL_REGION } from './sqs';

/** The signature of an HTTP API (payload format 2.0) function. */
export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface HttpServerOptions {
  readonly handler: ApiHandler;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Bodies larger than this are refused before the handler runs (the API itself answers 413 above 64 KB). @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** API Gateway's integration timeout is 30 s. @default 29000 */
  readonly functionTimeoutMs?: number;
  /** @default 'api' */
  readonly functionName?: string;
  readonly logger?: Logger;
  /**
   * Routes served beside the API, not by the function (the local operator channel): answers a
   * request, or undefined to hand it to the API as usual.
   */
  readonly localRoutes?: (
    req: IncomingMessage,
    body: Buffer,
  ) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;
}

export interface LocalHttpServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting requests, lets in-flight ones finish (up to 10 s), then closes. */
  close(): Promise<void>;
}

/** What API Gateway answers when the function throws or times out: callers see the same thing on AWS. */
const GATEWAY_ERROR = { statusCode: 500, body: '{"message":"Internal Server Error"}' };

/**
 * Serves an HTTP API function the way API Gateway (HTTP API, `$default` route, payload 2.0) does:
 * each request becomes an {@link APIGatewayProxyEventV2}, the structured result becomes the response.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const logger = options.logger ?? silentLogger;
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const functionName = options.functionName ?? 'api';
  const timeoutMs = options.functionTimeoutMs ?? 29_000;

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req, maxBodyBytes);
      if (body === 'too_large') {
        res.setHeader('connection', 'close');
        send(res, {
          statusCode: 413,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            error: { code: 'payload_too_large', message: `request body exceeds ${maxBodyBytes} bytes` },
          }),
        });
        return;
      }
      const local = await options.localRoutes?.(req, body);
      if (local !== undefined) {
        send(res, local);
        return;
      }
      const event = toEvent(req, body);
      const context = lambdaContext({ functionName, timeoutMs, region: LOCAL_REGION });
      let result: APIGatewayProxyStructuredResultV2;
      try {
        result = await withTimeout(options.handler(event, context), timeoutMs, functionName);
      } catch (error) {
        // Error messages carry identifiers only (design.md invariant 7), so they are safe to show.
        logger.error(`${functionName}: invocation failed`, {
          error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown',
        });
        result = { ...GATEWAY_ERROR, headers: { 'content-type': 'application/json' } };
      }
      send(res, result);
    })().catch((error: unknown) => {
      logger.error(`${functionName}: response failed`, {
        error: error instanceof Error ? error.message : 'unknown',
      });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections that go idle after close() would otherwise hold it open.
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const force = setTimeout(() => server.closeAllConnections(), 10_000);
        server.once('close', () => {
          clearInterval(idle);
          clearTimeout(force);
        });
      }),
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too_large'> {
  if (Number(req.headers['content-length'] ?? 0) > max) return Promise.resolve('too_large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) {
        chunks.push(chunk);
        return;
      }
      // Stop buffering at once (no unbounded reads); the 413 closes the connection, so the rest
      // is never read. Destroying the request here would reset the socket before the 413 is sent.
      req.off('data', onData);
      req.pause();
      resolve('too_large');
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

const TEXT_TYPE = /^(text\/|application\/([\w.+-]+\+)?(json|xml|javascript|x-www-form-urlencoded)\b)/i;

/** The request as API Gateway hands it to the function (payload format 2.0). */
export function toEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const rawQueryString = q === -1 ? '' : url.slice(q + 1);
  const headers: Record<string, string> = {};
  let cookies: string[] = [];
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if (values === undefined) continue;
    // Payload 2.0 moves cookies out of the headers into their own list.
    if (name === 'cookie') cookies = values.flatMap((v) => v.split(/;\s*/)).filter((c) => c !== '');
    else headers[name] = values.join(',');
  }
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  }
  const now = new Date();
  const host = (headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
  const isText = body.length === 0 || (TEXT_TYPE.test(headers['content-type'] ?? '') && isUtf8(body));
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString,
    ...(cookies.length === 0 ? {} : { cookies }),
    headers,
    ...(rawQueryString === '' ? {} : { queryStringParameters: query }),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: gatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length === 0 ? {} : { body: isText ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: !isText,
  };
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** `25/Nov/2026:12:00:00 +0000`, the format of `requestContext.time`. */
function gatewayTime(d: Date): string {
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${month}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  // API Gateway treats a result without statusCode as a 200 JSON body (payload 2.0 inference).
  const structured =
    typeof result === 'object' && result !== null && typeof result.statusCode === 'number'
      ? result
      : { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result) };
  for (const [name, value] of Object.entries(structured.headers ?? {})) res.setHeader(name, String(value));
  // Not in payload 2.0's type, but some handlers written for 1.0 return it; API Gateway honours it.
  const multi = (structured as { multiValueHeaders?: Record<string, Array<string | number | boolean>> })
    .multiValueHeaders;
  for (const [name, values] of Object.entries(multi ?? {})) res.setHeader(name, values.map(String));
  if (structured.cookies !== undefined && structured.cookies.length > 0)
    res.setHeader('set-cookie', structured.cookies);
  const body = structured.body ?? '';
  res.writeHead(structured.statusCode ?? 200);
  res.end(structured.isBase64Encoded === true ? Buffer.from(body, 'base64') : body);
}
