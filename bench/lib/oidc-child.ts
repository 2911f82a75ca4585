/**
 * Runs oidc-provider (the integration tests' harness, test/support/oidc.ts) in its own process, so
 * the provider has a CPU of its own, as a real provider does: the pipeline measured against it then
 * competes with the provider for nothing but the provider's answers. Driven over IPC by
 * ./provider.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startOidcProvider } from '../../test/support/oidc';

type Request =
  | { readonly id: number; readonly type: 'mint'; readonly count: number }
  | { readonly id: number; readonly type: 'stats' }
  | { readonly id: number; readonly type: 'reset' }
  | { readonly id: number; readonly type: 'latency'; readonly ms: number }
  | { readonly id: number; readonly type: 'close' };

const send = (message: unknown) => process.send?.(message);

// Keep-alive connections as real token endpoints keep them (Node clients drop a pooled connection
// 1 s before the server's timeout, so the test default of 1 s would mean a new connection per grant).
const oidc = await startOidcProvider({
  rotation: 'strict',
  accessTokenTtlSeconds: 3600,
  keepAliveTimeoutMs: 30_000,
});
const client = oidc.clients[0];
if (client === undefined) throw new Error('oidc-provider harness has no client');

// A front for the token endpoint that answers after a delay: a provider that is far away or slow,
// as real ones are (tens to hundreds of ms), which makes both measurements latency-bound instead of
// CPU-bound. (oidc-provider's own middleware chain is composed already, so the delay sits in front.)
let latencyMs = 0;
const front = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.once('end', () => {
    void (async () => {
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'accept']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(oidc.tokenUrl, {
        method: req.method ?? 'POST',
        headers,
        body: Buffer.concat(chunks),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
        'cache-control': 'no-store',
      });
      res.end(body);
    })().catch(() => {
      res.writeHead(502);
      res.end();
    });
  });
});
front.keepAliveTimeout = 30_000;
await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
const frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}/token`;

process.on('message', (raw) => {
  const request = raw as Request;
  void (async () => {
    switch (request.type) {
      case 'mint': {
        const tokens: string[] = [];
        for (let i = 0; i < request.count; i++)
          tokens.push(await oidc.mintRefreshToken({ clientId: client.id }));
        send({ id: request.id, tokens });
        return;
      }
      case 'stats':
        send({ id: request.id, stats: oidc.stats() });
        return;
      case 'latency':
        latencyMs = request.ms;
        send({ id: request.id });
        return;
      case 'reset':
        oidc.resetStats();
        send({ id: request.id });
        return;
      case 'close':
        front.closeAllConnections();
        front.close();
        await oidc.close();
        send({ id: request.id });
        process.disconnect();
        return;
    }
  })().catch((error: unknown) => send({ id: request.id, error: String(error) }));
});

send({
  type: 'ready',
  tokenUrl: oidc.tokenUrl,
  delayedTokenUrl: frontUrl,
  clientId: client.id,
  clientSecret: client.secret,
});
