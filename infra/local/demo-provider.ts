import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
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
  /** The accounts its sign-in page offers (any other name may be typed in). */
  readonly accounts: readonly string[];
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
  /** The accounts the sign-in page lists. */
  accounts: readonly string[];
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
          // The sign-in and consent pages of a connect link (which itself expires in 10 minutes).
          Interaction: 600,
          Session: 3_600,
          AuthorizationCode: 60,
        },
      }),
  );
  const callback = provider.callback();
  server.on('request', (req, res) => {
    // The end user's side of the authorization request: sign-in and consent pages (what a real
    // provider shows), so a connect session's authorization_url can be completed in a browser.
    if ((req.url ?? '').startsWith('/interaction/')) {
      void interact(provider, req, res, options.accounts).catch(() => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('This sign-in link expired or was already used. Start again from the application.');
      });
      return;
    }
    callback(req, res);
  });
  return {
    issuer,
    tokenUrl: `${issuer}/token`,
    authorizationUrl: `${issuer}/auth`,
    clientId,
    clientSecret,
    accounts: options.accounts,
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

/**
 * One step of an interaction: GET shows the sign-in page (prompt `login`) or the consent page
 * (prompt `consent`); POST takes the form's answer and hands it to oidc-provider, which redirects
 * the browser on (to consent, then back to the service's OAuth callback with a code). Deny sends the
 * user back with `error=access_denied`, as providers do.
 */
async function interact(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  accounts: readonly string[],
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    if (form.get('action') === 'deny') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied',
        error_description: 'the user denied access',
      } as never);
      return;
    }
    if (details.prompt.name === 'login') {
      const account = (form.get('account') ?? form.get('other') ?? '').trim();
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(account)) {
        send(res, 400, loginPage(details.uid, accounts, 'Choose an account (letters, digits, . _ @ -).'));
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: account } },
        {
          mergeWithLastSubmission: false,
        },
      );
      return;
    }
    const clientId = String(details.params.client_id);
    const accountId = details.session?.accountId ?? '';
    const grant =
      (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId });
    const { missingOIDCScope, missingOIDCClaims } = details.prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  if (details.prompt.name === 'login') {
    send(res, 200, loginPage(details.uid, accounts));
    return;
  }
  const scopes = String(details.params.scope ?? '')
    .split(' ')
    .filter((s) => s !== '');
  send(
    res,
    200,
    consentPage(details.uid, details.session?.accountId ?? '?', String(details.params.client_id), scopes),
  );
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 16_384) req.destroy(new Error('form too large'));
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
  });
}

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // No form-action: the consent form's answer redirects on to the service's callback (another origin).
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
  res.end(html);
}

const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

function pageShell(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${html(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
.box{border:1px solid #d0d7de;border-radius:8px;padding:1.25rem 1.5rem}h1{font-size:1.3rem}.brand{color:#8250df;font-weight:600}
button{font:inherit;padding:.45rem .9rem;margin:.2rem .3rem .2rem 0;border-radius:6px;border:1px solid #d0d7de;background:#f6f8fa;cursor:pointer}
button.primary{background:#1f883d;border-color:#1f883d;color:#fff}input{font:inherit;padding:.4rem;border:1px solid #d0d7de;border-radius:6px}
.err{color:#cf222e}.small{color:#59636e;font-size:.85rem}</style></head>
<body><p class="brand">Demo OAuth provider</p><div class="box">${body}</div>
<p class="small">A stand-in for Google, Xero, Salesforce&hellip;, run by <code>npm start -- --demo</code>. No password: pick an account.</p></body></html>
`;
}

function loginPage(uid: string, accounts: readonly string[], error?: string): string {
  const buttons = accounts
    .map((a) => `<button type="submit" name="account" value="${html(a)}">${html(a)}</button>`)
    .join('');
  return pageShell(
    'Sign in',
    `<h1>Sign in</h1>${error === undefined ? '' : `<p class="err">${html(error)}</p>`}
<form method="post" action="/interaction/${html(uid)}"><p>Continue as</p><p>${buttons}</p></form>
<form method="post" action="/interaction/${html(uid)}"><p><label>or another account <input name="other" autocomplete="off"></label> <button type="submit">Sign in</button></p></form>`,
  );
}

function consentPage(uid: string, account: string, clientId: string, scopes: readonly string[]): string {
  const list = scopes.map((s) => `<li><code>${html(s)}</code></li>`).join('');
  return pageShell(
    'Allow access',
    `<h1>Allow <code>${html(clientId)}</code> access?</h1><p>Signed in as <strong>${html(account)}</strong>.</p>
<p>It asks for:</p><ul>${list}</ul>
<form method="post" action="/interaction/${html(uid)}"><button class="primary" type="submit" name="action" value="allow">Allow</button><button type="submit" name="action" value="deny">Deny</button></form>`,
  );
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
