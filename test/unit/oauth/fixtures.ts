import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_REFRESH_SETTINGS, type ResolvedIntegration } from '../../../shared/domain/integration';
import type { RefreshGrantInput, RefreshOutcome } from '../../../shared/oauth/types';

/** Secrets used across the oauth tests; no failure may ever contain them. */
export const REFRESH_TOKEN = 'rt-OLD-9f8e7d6c5b4a';
export const CLIENT_ID = 'client id:1';
export const CLIENT_SECRET = 's3:cr+t %x é✓';
export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

export function anIntegration(overrides: Partial<ResolvedIntegration> = {}): ResolvedIntegration {
  return {
    integrationId: 'int_test',
    provider: 'test',
    clientId: CLIENT_ID,
    clientSecretCiphertext: null,
    tokenUrl: 'https://provider.example/oauth/token',
    authorizationUrl: null,
    clientAuth: 'client_secret_post',
    refreshParams: {},
    urlParams: {},
    scopes: [],
    authorizationParams: {},
    rotatesRefreshToken: true,
    reuseGraceSeconds: 0,
    expiryFallback: 'jwt_exp_then_previous',
    errorsIn200Body: false,
    tokenPath: null,
    acceptJsonHeader: false,
    jsonBody: false,
    webhookUrl: null,
    refresh: DEFAULT_REFRESH_SETTINGS,
    ...overrides,
  };
}

export function aGrant(overrides: Partial<RefreshGrantInput> = {}): RefreshGrantInput {
  return {
    integration: anIntegration(),
    clientSecret: CLIENT_SECRET,
    refreshToken: REFRESH_TOKEN,
    urlParams: {},
    previousLifetimeSeconds: null,
    now: NOW,
    ...overrides,
  };
}

/** A compact JWS whose payload holds `claims` (signature is junk: nothing verifies it). */
export function aJwt(claims: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`;
}

/** Asserts nothing secret leaked into a failure (messages, provider text, anything). */
export function secretsIn(outcome: RefreshOutcome): string[] {
  const text = JSON.stringify(outcome.ok ? {} : outcome.failure);
  const forms = [REFRESH_TOKEN, CLIENT_SECRET, encodeURIComponent(CLIENT_SECRET)];
  return forms.filter((s) => text.includes(s));
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Responder = (req: RecordedRequest, res: ServerResponse) => void;

/** A scripted token endpoint on 127.0.0.1: each test sets how it answers; every request is recorded. */
export interface FakeProvider {
  readonly origin: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Answer every request with this. */
  reply(status: number, body: string | object, headers?: Record<string, string>): void;
  /** Full control (hang, destroy the socket, ...). */
  handle(responder: Responder): void;
  close(): Promise<void>;
}

export async function startFakeProvider(): Promise<FakeProvider> {
  let responder: Responder = (_req, res) => res.writeHead(500).end();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      responder(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    reply(status, body, headers = {}) {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const type = typeof body === 'string' ? {} : { 'content-type': 'application/json' };
      responder = (_req, res) => res.writeHead(status, { ...type, ...headers }).end(text);
    },
    handle(r) {
      responder = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function aClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
