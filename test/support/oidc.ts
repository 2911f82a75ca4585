// In-process oidc-provider (panva) for integration tests: a real OAuth 2.0 server that revokes the
// whole grant when a rotated refresh token is presented again (RFC 9700 §4.14.2).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  Adapter,
  AdapterPayload,
  Configuration,
  InteractionDetails,
  KoaContext,
  Provider,
} from 'oidc-provider';
import type { IntegrationConfig } from '../../shared/domain/integration';
import { rememberSecret } from './secrets';

/** `'strict'`: every refresh rotates and reuse revokes the grant. `'none'`: the refresh token never changes. */
export type RotationMode = 'strict' | 'none';

export interface OidcClientCredentials {
  readonly id: string;
  readonly secret: string;
}

export interface StartOidcProviderOptions {
  /** Default `'strict'`. Can be switched later with `setRotation`. */
  readonly rotation?: RotationMode;
  /** `expires_in` of issued access tokens. Default 3600. */
  readonly accessTokenTtlSeconds?: number;
  /** Lifetime of refresh tokens (and grants). Default 14 days. */
  readonly refreshTokenTtlSeconds?: number;
  /** A number of generated clients, or explicit credentials. Default 1 generated client. */
  readonly clients?: number | readonly Partial<OidcClientCredentials>[];
  /** Registered redirect_uri of every client (for connect-flow tests). Default `http://127.0.0.1:1/oauth/callback`. */
  readonly redirectUri?: string;
  /** Account the automatic login uses when the authorization request has no `login_hint`. Default `user-1`. */
  readonly accountId?: string;
  /**
   * The server's keep-alive timeout. Node clients (http.Agent, fetch) close a pooled connection one
   * second before the server's `Keep-Alive: timeout`, so the default 1000 ms makes every request use
   * a new connection; real token endpoints keep connections for longer. Default 1000.
   */
  readonly keepAliveTimeoutMs?: number;
}

export interface MintRefreshTokenOptions {
  readonly clientId: string;
  /** Default: the harness's `accountId`. */
  readonly accountId?: string;
  /** Default `'openid offline_access'`. */
  readonly scope?: string;
}

export interface OidcStats {
  /** Successful `grant_type=refresh_token` requests. */
  readonly refreshGrants: number;
  /** `grant_type=refresh_token` requests answered `invalid_grant`. */
  readonly invalidGrant: number;
  /** Successful `grant_type=authorization_code` requests. */
  readonly codeGrants: number;
  /** Every other token-endpoint error (invalid_client, invalid_request, server_error, ...). */
  readonly otherErrors: number;
  /** Every POST to the token endpoint. */
  readonly requests: number;
  /**
   * Highest number of token-endpoint requests in flight at once since the last reset. oidc-provider
   * answers in about one event-loop turn, so this rarely exceeds 1: to assert a concurrency cap, put a
   * provider double in 'slow' mode in front and read its `requests.maxConcurrent`.
   */
  readonly maxConcurrent: number;
}

export interface OidcHarness {
  readonly issuer: string;
  readonly tokenUrl: string;
  readonly authorizationUrl: string;
  readonly revocationUrl: string;
  readonly redirectUri: string;
  readonly clients: readonly OidcClientCredentials[];
  /** Escape hatch: the oidc-provider instance. */
  readonly provider: Provider;
  /**
   * A custom-provider integration of this server for its first client (`config` over that) and the
   * client's secret, remembered: what `saveIntegration` and the test core's `putIntegration` take
   * after the integration id.
   */
  integration(config?: Partial<IntegrationConfig>): [IntegrationConfig, string];
  mintRefreshToken(options: MintRefreshTokenOptions): Promise<string>;
  /** Revokes the grant behind this refresh token (all its tokens), so the next refresh yields `invalid_grant`. */
  revokeGrant(refreshToken: string): Promise<void>;
  setRotation(mode: RotationMode): void;
  /** Lifetime of access tokens issued from now on. */
  setAccessTokenTtl(seconds: number): void;
  /**
   * Drives an authorization request through the automatic login + consent (no browser) and returns
   * the redirect to the client's redirect_uri (with `code`, `state`, `iss`). `login_hint` picks the account.
   */
  authorize(authorizationRequestUrl: string | URL): Promise<URL>;
  stats(): OidcStats;
  resetStats(): void;
  /** Errors behind any `server_error` answers (for debugging a 500). */
  serverErrors(): readonly unknown[];
  close(): Promise<void>;
}

const ROUTES = {
  authorization: '/auth',
  token: '/token',
  revocation: '/token/revocation',
  jwks: '/jwks',
  userinfo: '/me',
} as const;

type ProviderModule = typeof import('oidc-provider');
let providerModule: Promise<ProviderModule> | undefined;

/** Imports oidc-provider once, hiding its "Unsupported runtime" warning on Node 20. */
function loadProviderModule(): Promise<ProviderModule> {
  providerModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime'))
        return;
      warn.apply(console, args);
    };
    try {
      return await import('oidc-provider');
    } finally {
      console.warn = warn;
    }
  })();
  return providerModule;
}

interface StoredEntry {
  value: unknown;
  expiresAt: number;
}

/**
 * Unbounded in-memory store for one provider instance (oidc-provider's built-in memory adapter is an
 * LRU capped at ~1000 entries, which silently evicts tokens in larger tests, and warns on start).
 * `consume` is a compare-and-set: oidc-provider checks `consumed` and consumes in separate steps, which
 * only holds under concurrency because in-memory storage never yields to the event loop in between.
 * Here a second consumption of one refresh token revokes the grant and fails with invalid_grant
 * regardless, as a strict provider with a transactional store would.
 */
function createAdapterClass(mod: ProviderModule, isStrict: () => boolean) {
  const store = new Map<string, StoredEntry>();
  const grantMembers = new Map<string, Set<string>>();

  const get = (key: string): unknown => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.value;
  };
  const set = (key: string, value: unknown, expiresIn?: number) => {
    store.set(key, {
      value,
      expiresAt: expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000,
    });
  };
  const revokeGrantMembers = (grantId: string) => {
    for (const key of grantMembers.get(grantId) ?? []) store.delete(key);
    grantMembers.delete(grantId);
  };

  return class HarnessAdapter implements Adapter {
    readonly #model: string;

    constructor(model: string) {
      this.#model = model;
    }

    #key(id: string): string {
      return `${this.#model}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const key = this.#key(id);
      set(key, payload, expiresIn);
      if (this.#model === 'Session' && typeof payload.uid === 'string')
        set(`sessionUid:${payload.uid}`, id, expiresIn);
      if (typeof payload.userCode === 'string') set(`userCode:${payload.userCode}`, id, expiresIn);
      if (typeof payload.grantId === 'string' && this.#model !== 'Grant') {
        let members = grantMembers.get(payload.grantId);
        if (!members) {
          members = new Set();
          grantMembers.set(payload.grantId, members);
        }
        members.add(key);
      }
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      return get(this.#key(id)) as AdapterPayload | undefined;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      const id = get(`sessionUid:${uid}`);
      return typeof id === 'string' ? this.find(id) : undefined;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const id = get(`userCode:${userCode}`);
      return typeof id === 'string' ? this.find(id) : undefined;
    }

    async consume(id: string): Promise<void> {
      const payload = get(this.#key(id)) as AdapterPayload | undefined;
      if (!payload) return;
      if (payload.consumed !== undefined && this.#model === 'RefreshToken' && isStrict()) {
        if (typeof payload.grantId === 'string') {
          store.delete(`Grant:${payload.grantId}`);
          revokeGrantMembers(payload.grantId);
        }
        throw new mod.errors.InvalidGrant('refresh token already used');
      }
      payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string): Promise<void> {
      const key = this.#key(id);
      const payload = get(key) as AdapterPayload | undefined;
      store.delete(key);
      if (payload && typeof payload.grantId === 'string') grantMembers.get(payload.grantId)?.delete(key);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      revokeGrantMembers(grantId);
    }
  };
}

function normalizeClients(clients: StartOidcProviderOptions['clients']): OidcClientCredentials[] {
  const list: readonly Partial<OidcClientCredentials>[] =
    typeof clients === 'number' || clients === undefined
      ? Array.from({ length: clients ?? 1 }, () => ({}))
      : clients;
  if (list.length === 0) throw new Error('startOidcProvider: at least one client is required');
  return list.map((c, i) => ({
    id: c.id ?? `client-${i + 1}`,
    secret: c.secret ?? `secret-${i + 1}-${randomBytes(12).toString('hex')}`,
  }));
}

function errorCode(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const { error } = body as { error: unknown };
    return typeof error === 'string' ? error : undefined;
  }
  return undefined;
}

/** Starts oidc-provider on http://127.0.0.1:<random port>. Always `close()` it (e.g. in afterAll). */
export async function startOidcProvider(options: StartOidcProviderOptions = {}): Promise<OidcHarness> {
  const mod = await loadProviderModule();
  const clients = normalizeClients(options.clients);
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:1/oauth/callback';
  const defaultAccountId = options.accountId ?? 'user-1';
  let accessTokenTtl = options.accessTokenTtlSeconds ?? 3600;
  const refreshTokenTtl = options.refreshTokenTtlSeconds ?? 14 * 24 * 3600;
  let rotation: RotationMode = options.rotation ?? 'strict';

  const server: Server = createServer();
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingKey = {
    ...privateKey.export({ format: 'jwk' }),
    kid: 'harness-es256',
    alg: 'ES256',
    use: 'sig',
  };

  const configuration: Configuration = {
    adapter: createAdapterClass(mod, () => rotation === 'strict'),
    clients: clients.map((c) => ({
      client_id: c.id,
      client_secret: c.secret,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      // oidc-provider accepts client_secret_post as well when basic is registered (and vice versa).
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    routes: ROUTES,
    scopes: ['openid', 'offline_access'],
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
    },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    issueRefreshToken: async () => true,
    expiresWithSession: async () => false,
    rotateRefreshToken: () => rotation === 'strict',
    ttl: {
      AccessToken: () => accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: refreshTokenTtl,
      Grant: refreshTokenTtl,
      Interaction: 600,
      Session: 3600,
    },
  };

  const provider = new mod.Provider(issuer, configuration);

  let stats = {
    refreshGrants: 0,
    invalidGrant: 0,
    codeGrants: 0,
    otherErrors: 0,
    requests: 0,
    maxConcurrent: 0,
  };
  let inFlight = 0;
  const lastServerErrors: unknown[] = [];
  provider.on('server_error', (_ctx, err) => {
    lastServerErrors.push(err);
  });

  // Token endpoint counters: a middleware sees every request and the final status/body.
  provider.use(async (ctx: KoaContext, next) => {
    if (ctx.method !== 'POST' || ctx.path !== ROUTES.token) return next();
    const counted = stats;
    counted.requests += 1;
    inFlight += 1;
    counted.maxConcurrent = Math.max(counted.maxConcurrent, inFlight);
    try {
      await next();
    } finally {
      inFlight -= 1;
    }
    const grantType = ctx.oidc?.params?.grant_type;
    if (ctx.status === 200 && grantType === 'refresh_token') counted.refreshGrants += 1;
    else if (ctx.status === 200 && grantType === 'authorization_code') counted.codeGrants += 1;
    else if (grantType === 'refresh_token' && errorCode(ctx.body) === 'invalid_grant')
      counted.invalidGrant += 1;
    else counted.otherErrors += 1;
    return undefined;
  });

  // Automatic login (account from login_hint) and consent to everything requested.
  provider.use(async (ctx: KoaContext, next) => {
    if (ctx.method !== 'GET' || !ctx.path.startsWith('/interaction/')) return next();
    const details: InteractionDetails = await provider.interactionDetails(ctx.req, ctx.res);
    ctx.respond = false;
    if (details.prompt.name === 'login') {
      const hint = details.params.login_hint;
      const accountId = typeof hint === 'string' && hint !== '' ? hint : defaultAccountId;
      await provider.interactionFinished(
        ctx.req,
        ctx.res,
        { login: { accountId } },
        { mergeWithLastSubmission: false },
      );
      return undefined;
    }
    const clientId = String(details.params.client_id);
    const accountId = details.session?.accountId ?? defaultAccountId;
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId });
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
    return undefined;
  });

  server.on('request', provider.callback());

  const findRefreshToken = async (value: string) => {
    const token = await provider.RefreshToken.find(value, { ignoreExpiration: true });
    if (!token) throw new Error('revokeGrant: unknown refresh token (already revoked?)');
    return token;
  };

  return {
    issuer,
    tokenUrl: `${issuer}${ROUTES.token}`,
    authorizationUrl: `${issuer}${ROUTES.authorization}`,
    revocationUrl: `${issuer}${ROUTES.revocation}`,
    redirectUri,
    clients,
    provider,

    integration(config = {}) {
      const client = clients[0];
      if (client === undefined) throw new Error('integration: the harness has no client');
      rememberSecret(client.secret);
      return [
        { provider: 'custom', client_id: client.id, token_url: `${issuer}${ROUTES.token}`, ...config },
        client.secret,
      ];
    },

    async mintRefreshToken({ clientId, accountId = defaultAccountId, scope = 'openid offline_access' }) {
      const client = await provider.Client.find(clientId);
      if (!client) throw new Error(`mintRefreshToken: unknown client ${clientId}`);
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      const refreshToken = new provider.RefreshToken({
        client,
        accountId,
        grantId,
        scope,
        gty: 'authorization_code',
        expiresWithSession: false,
      });
      return refreshToken.save();
    },

    async revokeGrant(refreshToken) {
      const token = await findRefreshToken(refreshToken);
      const { grantId } = token;
      if (!grantId) {
        await token.destroy();
        return;
      }
      const grant = await provider.Grant.find(grantId);
      await Promise.all([
        grant?.destroy(),
        provider.RefreshToken.revokeByGrantId(grantId),
        provider.AccessToken.revokeByGrantId(grantId),
        provider.AuthorizationCode.revokeByGrantId(grantId),
      ]);
    },

    setRotation(mode) {
      rotation = mode;
    },

    setAccessTokenTtl(seconds) {
      accessTokenTtl = seconds;
    },

    async authorize(authorizationRequestUrl) {
      const cookies = new Map<string, string>();
      let url = new URL(authorizationRequestUrl);
      for (let hop = 0; hop < 10; hop += 1) {
        if (url.origin !== issuer) return url;
        const res = await fetch(url, {
          redirect: 'manual',
          headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        });
        for (const line of res.headers.getSetCookie()) {
          const pair = line.split(';', 1)[0] ?? '';
          const eq = pair.indexOf('=');
          if (eq > 0) cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
        }
        const location = res.headers.get('location');
        if (res.status < 300 || res.status >= 400 || !location) {
          throw new Error(
            `authorize: unexpected ${res.status} at ${url.pathname}: ${(await res.text()).slice(0, 500)}`,
          );
        }
        await res.body?.cancel();
        url = new URL(location, url);
      }
      throw new Error('authorize: too many redirects');
    },

    stats: () => ({ ...stats }),
    serverErrors: () => [...lastServerErrors],
    resetStats() {
      stats = {
        refreshGrants: 0,
        invalidGrant: 0,
        codeGrants: 0,
        otherErrors: 0,
        requests: 0,
        maxConcurrent: 0,
      };
    },

    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
