import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { ApiDeps } from '../../shared/api/deps';
import type { ConnectionKey } from '../../shared/domain/ids';
import { silentLogger } from '../../shared/ports/logger';
import type { ConnectionStore } from '../../shared/ports/store';
import { importCredentials } from '../../shared/refresh/import-credentials';
import { saveIntegration } from '../../shared/refresh/save-integration';
import { type DemoProvider, startDemoProvider } from './demo-provider';
import type { LocalRuntime } from './runtime';

/** The demo's integration, connections and the one whose grant the provider revokes. */
export const DEMO = {
  integrationId: 'demo',
  users: ['alice', 'bob', 'carol', 'dave', 'erin'],
  revoked: 'carol',
} as const;
const INTEGRATION_ID = DEMO.integrationId;
const USERS = DEMO.users;
const REVOKED_USER = DEMO.revoked;
const ACCESS_TOKEN_TTL_SECONDS = 20;
const REVOKE_AFTER_MS = 30_000;

let print = (line: string) => console.log(line);
const say = (line: string) => print(`[demo ${new Date().toISOString().slice(11, 19)}] ${line}`);

export interface DemoOptions {
  /** When the provider revokes carol's grant. @default 30000 */
  readonly revokeAfterMs?: number;
  /** Where the demo's lines go. @default console.log */
  readonly log?: (line: string) => void;
}

const clock = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString().slice(11, 19));

/**
 * `npm start -- --demo`: a demo OAuth provider (oidc-provider, strict rotation, 20 s access
 * tokens, a sign-in and consent page), a webhook receiver that verifies every signature with the
 * reference Standard Webhooks library, one `custom` integration and five connections. After 30 s the
 * provider revokes carol's grant, so within a minute the log shows her refresh fail as `revoked`,
 * the connection turn `needs_reauth` and the `connection.reauth_required` webhook arrive. The
 * receiver then does what an app does: it creates a connect session and prints its link. Opening
 * it, signing in as carol and allowing access brings the connection back (`active`, webhook
 * `connection.reauthorized`); signing in as someone else is refused (`account_mismatch`). The
 * operator console at /console shows the same story. One line per refresh, failure and webhook.
 */
export async function startDemo(
  local: LocalRuntime,
  options: DemoOptions = {},
): Promise<{ stop(): Promise<void> }> {
  if (options.log !== undefined) print = options.log;
  const revokeAfterMs = options.revokeAfterMs ?? REVOKE_AFTER_MS;
  const receiver = await startReceiver(local.webhookSecret, (event) => {
    if (event.type !== 'connection.reauth_required') return;
    void offerReconnect(local, event.data.connection_id).catch((error: unknown) =>
      say(
        `reconnect link for ${event.data.connection_id} failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  });
  const provider = await startDemoProvider({
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    redirectUri: `${local.publicUrl}/v1/oauth/callback`,
    accounts: USERS,
  });
  const grants = await register(local.functions.api, provider, receiver.url);
  say(`provider ${provider.issuer} (rotating refresh tokens, ${ACCESS_TOKEN_TTL_SECONDS} s access tokens)`);
  say(`integration "${INTEGRATION_ID}" with connections ${USERS.join(', ')}; webhooks to ${receiver.url}`);
  say(`in ${revokeAfterMs / 1000} s the provider revokes ${REVOKED_USER}'s grant`);
  say(`operator console: ${local.publicUrl}/console (sign in with the admin API key above)`);

  const revoke = setTimeout(() => {
    const grantId = grants.get(REVOKED_USER);
    if (grantId === undefined) return;
    void provider
      .revoke(grantId)
      .then(() => say(`provider: revoked ${REVOKED_USER}'s grant (as if the user removed access)`));
  }, revokeAfterMs);
  const watcher = watchConnections(local.functions.api.store);
  return {
    async stop() {
      clearTimeout(revoke);
      watcher.stop();
      await Promise.all([provider.close(), closeServer(receiver.server)]);
    },
  };
}

/** Stores the integration (client secret encrypted by the keyring) and imports one connection per user. */
async function register(
  rt: ApiDeps,
  provider: DemoProvider,
  webhookUrl: string,
): Promise<Map<string, string>> {
  const now = Date.now();
  const config = {
    provider: 'custom',
    client_id: provider.clientId,
    token_url: provider.tokenUrl,
    authorization_url: provider.authorizationUrl,
    scopes: ['openid', 'offline_access'],
    authorization_params: { prompt: 'consent' },
    client_auth: 'client_secret_basic' as const,
    webhook_url: webhookUrl,
    rotates_refresh_token: true,
    reuse_grace_seconds: 0,
    refresh: { jitter_seconds: 2 },
  };
  await saveIntegration(rt, INTEGRATION_ID, config, provider.clientSecret);
  const { integration } = await rt.integrations.get(INTEGRATION_ID);
  const deps = { ...rt, random: Math.random, logger: silentLogger };
  const grants = new Map<string, string>();
  for (const [i, user] of USERS.entries()) {
    // As if each user had connected through the connect flow: their provider account is recorded,
    // so a reconnect by another account is refused. (A restart re-seeds with the new issuer.)
    const { refreshToken, grantId } = await provider.mint(user);
    grants.set(user, grantId);
    // A placeholder access token that expires soon, staggered, so the first refreshes come at once.
    await importCredentials(deps, integration, key(user), {
      accessToken: `demo-initial-${user}`,
      refreshToken,
      expiresAt: now + (4 + 2 * i) * 1_000,
      tokenType: 'Bearer',
      scope: 'openid offline_access',
      raw: {},
      metadata: { demo: true, customer: `${user}@example.com` },
      accountId: `${provider.issuer}|${user}`,
      allowAccountChange: true,
    });
  }
  return grants;
}

/** Polls the connections and prints one line per refresh, failure and status change. */
function watchConnections(store: ConnectionStore): { stop(): void } {
  const last = new Map<string, { refreshedAt: number | null; status: string; failures: number }>();
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      for (const user of USERS) {
        const c = await store.get(key(user));
        if (c === null) continue;
        const before = last.get(user);
        last.set(user, { refreshedAt: c.lastRefreshAt, status: c.status, failures: c.consecutiveFailures });
        if (before === undefined) continue;
        if (c.lastRefreshAt !== before.refreshedAt) {
          say(
            `refresh  ${user.padEnd(6)} ok, access token valid until ${clock(c.accessTokenExpiresAt)}, next at ${clock(c.nextRefreshAt)}`,
          );
        }
        if (c.consecutiveFailures > before.failures && c.lastError !== null) {
          const e = c.lastError;
          say(
            `failure  ${user.padEnd(6)} ${e.code}${e.provider_error === null ? '' : ` (${e.provider_error})`}: now ${c.status}`,
          );
        } else if (c.status !== before.status) {
          say(`status   ${user.padEnd(6)} ${before.status} -> ${c.status}`);
        }
      }
    })()
      .catch((error: unknown) => say(`watcher: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        busy = false;
      });
  }, 500);
  return { stop: () => clearInterval(timer) };
}

interface DemoEvent {
  readonly type: string;
  readonly data: { connection_id: string; status: string; error: { code: string } | null };
}

/**
 * What an app does with `connection.reauth_required`: asks the service for a connect session
 * (`POST /v1/connect-sessions`, admin key) and shows its link to the end user, here in the log.
 */
async function offerReconnect(local: LocalRuntime, connectionId: string): Promise<void> {
  const res = await fetch(`${local.url}/v1/connect-sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${local.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ integration_id: INTEGRATION_ID, connection_id: connectionId }),
  });
  const body = (await res.json()) as { authorization_url?: string };
  if (res.status !== 201 || body.authorization_url === undefined) throw new Error(`HTTP ${res.status}`);
  say(
    `reconnect ${connectionId}: open this link in a browser within 10 minutes, sign in as ${connectionId} and allow access:`,
  );
  print(`\n    ${body.authorization_url}\n`);
  say(`          (signing in as another account is refused: account_mismatch; the console makes new links)`);
}

/** The app's side: verifies each delivery's signature and prints the event on one line. */
async function startReceiver(
  secret: string,
  onEvent: (event: DemoEvent) => void,
): Promise<{ url: string; server: Server }> {
  const verifier = new Webhook(secret);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      try {
        const event = verifier.verify(body, req.headers as Record<string, string>) as DemoEvent;
        const cause = event.data.error === null ? '' : ` (${event.data.error.code})`;
        say(
          `webhook  ${event.type} for ${event.data.connection_id}: ${event.data.status}${cause}, signature verified`,
        );
        res.writeHead(204).end();
        onEvent(event);
      } catch {
        say('webhook  REJECTED: signature did not verify');
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`, server };
}

const key = (user: string): ConnectionKey => ({ integrationId: INTEGRATION_ID, connectionId: user });

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
