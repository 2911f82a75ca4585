import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Provider } from 'oidc-provider';

/** The demo's OAuth provider: oidc-provider (a real OAuth 2.0 server) in-process on loopback. */
export interface DemoProvider {
  readonly issuer: string;
  readonly tokenUrl: string;
  readonly authorizationUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** A refresh token for `accountId`, as if the user had just consented (`openid offline_access`). */
  mint(accountId: string): Promise<{ refreshToken: string; grantId: string }>;
  /** Revokes a grant and all its tokens: the next refresh gets `invalid_grant`, as after a user revoked access. */
  revoke(grantId: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the provider with strict rotation (`rotateRefreshToken`: every refresh returns a new
 * refresh token and reusing an old one revokes the grant, RFC 9700 §4.14.2) and short-lived access
 * tokens, so refreshes happen every few seconds.
 */
export async function startDemoProvider(options: {
  accessTokenTtlSeconds: number;
  redirectUri: string;
}): Promise<DemoProvider> {
  const { Provider } = await quietly(() => import('oidc-provider'));
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'demo-app';
  const clientSecret = `demo-secret-${randomBytes(16).toString('hex')}`;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const provider: Provider = await quietly(
    async () =>
      new Provider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            redirect_uris: [options.redirectUri],
            token_endpoint_auth_method: 'client_secret_basic',
            id_token_signed_response_alg: 'ES256',
          },
        ],
        jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'demo', alg: 'ES256', use: 'sig' }] },
        cookies: { keys: [randomBytes(16).toString('hex')] },
        routes: { authorization: '/auth', token: '/token' },
        scopes: ['openid', 'offline_access'],
        features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
        findAccount: async (_ctx: unknown, sub: string) => ({
          accountId: sub,
          claims: async () => ({ sub }),
        }),
        issueRefreshToken: async () => true,
        rotateRefreshToken: true,
        ttl: {
          AccessToken: options.accessTokenTtlSeconds,
          RefreshToken: 86_400,
          Grant: 86_400,
          IdToken: 3_600,
        },
      }),
  );
  server.on('request', provider.callback());
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    authorizationUrl: `${issuer}/auth`,
    clientId,
    clientSecret,
    async mint(accountId) {
      const client = await provider.Client.find(clientId);
      if (!client) throw new Error('demo client missing');
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope('openid offline_access');
      const grantId = await grant.save();
      const token = new provider.RefreshToken({
        client,
        accountId,
        grantId,
        scope: 'openid offline_access',
        gty: 'authorization_code',
        expiresWithSession: false,
      });
      return { refreshToken: await token.save(), grantId };
    },
    async revoke(grantId) {
      const grant = await provider.Grant.find(grantId);
      await Promise.all([
        grant?.destroy(),
        provider.RefreshToken.revokeByGrantId(grantId),
        provider.AccessToken.revokeByGrantId(grantId),
      ]);
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Hides oidc-provider's warnings (Node 20 is an "unsupported runtime"; the memory adapter is dev-only): true, and beside the point in a demo. */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING')) return;
    warn.apply(console, args);
  };
  try {
    return await work();
  } finally {
    console.warn = warn;
  }
}
