/**
 * Token shapes of the two cost workloads (issue 6), and a token endpoint that answers refresh
 * grants with them. Sizes follow what the providers issue:
 * - Google: an opaque `ya29.` access token of ≈200 bytes, a ≈100-byte refresh token that is never
 *   rotated (Google omits `refresh_token` in refresh answers, so the stored one is kept).
 * - Microsoft identity platform: a JWT access token of ≈2.5 KB, a ≈1 KB refresh token rotated on
 *   every refresh, plus `ext_expires_in`, which the service keeps in `raw`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Workload {
  readonly name: 'google' | 'microsoft';
  readonly label: string;
  readonly rotates: boolean;
  accessToken(): string;
  refreshToken(): string;
  scope: string;
  /** The refresh grant's JSON answer. */
  answer(): Record<string, unknown>;
}

const b64url = (bytes: number) => randomBytes(bytes).toString('base64url');
/** A base64url string of exactly `chars` characters. */
const token = (chars: number) => b64url(Math.ceil((chars * 3) / 4)).slice(0, chars);

/** A JWT-shaped token of about `chars` characters (header.payload.signature). */
function jwt(chars: number): string {
  const header = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', kid: 'bench' })).toString(
    'base64url',
  );
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const signature = token(342); // RS256: 256 bytes
  const fixed = { aud: 'https://graph.microsoft.com', iss: 'https://sts.windows.net/bench/', exp };
  const base = Buffer.from(JSON.stringify({ ...fixed, pad: '' })).toString('base64url').length;
  const padChars = Math.max(0, Math.floor(((chars - header.length - signature.length - 2 - base) * 3) / 4));
  const payload = Buffer.from(JSON.stringify({ ...fixed, pad: token(padChars) })).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'google',
    label: 'Google-sized (200 B access, 100 B refresh, no rotation)',
    rotates: false,
    accessToken: () => `ya29.${token(195)}`,
    refreshToken: () => `1//${token(97)}`,
    scope: 'https://www.googleapis.com/auth/gmail.readonly',
    answer() {
      return { access_token: this.accessToken(), expires_in: 3599, scope: this.scope, token_type: 'Bearer' };
    },
  },
  {
    name: 'microsoft',
    label: 'Microsoft-sized (2.5 KB JWT access, 1 KB refresh, rotated)',
    rotates: true,
    accessToken: () => jwt(2500),
    refreshToken: () => `1.AXYA${token(994)}`,
    scope: 'https://graph.microsoft.com/Mail.Read https://graph.microsoft.com/User.Read',
    answer() {
      return {
        token_type: 'Bearer',
        scope: this.scope,
        expires_in: 4371,
        ext_expires_in: 4371,
        access_token: this.accessToken(),
        refresh_token: this.refreshToken(),
      };
    },
  },
];

export interface TokenStub {
  readonly url: string;
  requests(): number;
  /** Answers after `ms` (a provider's network and processing time). */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** A token endpoint that answers every POST with `workload.answer()` (200, JSON). */
export async function startTokenStub(workload: Workload): Promise<TokenStub> {
  let requests = 0;
  let latencyMs = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      requests += 1;
      const answer = () => {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(workload.answer()));
      };
      if (latencyMs > 0) setTimeout(answer, latencyMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    requests: () => requests,
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
