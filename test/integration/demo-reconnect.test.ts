import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startDemo } from '../../infra/local/demo';
import type { LocalRuntime } from '../../infra/local/runtime';
import { startTestRuntime, type TestRuntime } from '../support/local';

// `npm start -- --demo` tells the whole story: a grant breaks, the webhook arrives, the app prints
// a reconnect link, the end user signs in at the demo provider's page and allows access, and the
// connection is active again (with `connection.reauthorized`). The browser is played by fetch with
// a cookie jar, submitting the provider's HTML forms.
describe('demo: break, webhook, reconnect, recovered', () => {
  let runtime: TestRuntime;
  let local: LocalRuntime;
  let demo: { stop(): Promise<void> };
  const lines: string[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime({ name: 'demo-reconnect', scanIntervalSeconds: 1 });
    local = runtime.local;
    demo = await startDemo(local, { revokeAfterMs: 0, log: (line) => lines.push(line) });
  }, 60_000);
  afterAll(async () => {
    await demo?.stop();
    await runtime?.stop();
  });

  async function until<T>(
    find: () => T | undefined | Promise<T | undefined>,
    timeoutMs = 60_000,
  ): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const found = await find();
      if (found !== undefined) return found;
      if (Date.now() > end) throw new Error(`not seen in time; demo said:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const status = async (id: string) =>
    (await runtime.api.get<{ status: string }>(`/v1/integrations/demo/connections/${id}`)).body.status;

  /** A browser without JavaScript: follows redirects with cookies, submits forms. */
  function browser() {
    const cookies = new Map<string, string>();
    async function go(
      url: string,
      form?: Record<string, string>,
    ): Promise<{ url: string; status: number; html: string }> {
      let target = url;
      let init: RequestInit | undefined =
        form === undefined
          ? undefined
          : {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams(form).toString(),
            };
      for (let hop = 0; hop < 10; hop++) {
        const res = await fetch(target, {
          ...init,
          redirect: 'manual',
          headers: {
            ...(init?.headers as Record<string, string> | undefined),
            cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
          },
        });
        for (const line of res.headers.getSetCookie()) {
          const pair = line.split(';', 1)[0] ?? '';
          const eq = pair.indexOf('=');
          if (eq > 0) cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
        }
        const location = res.headers.get('location');
        if (res.status >= 300 && res.status < 400 && location !== null) {
          await res.body?.cancel();
          target = new URL(location, target).toString();
          init = undefined;
          continue;
        }
        return { url: target, status: res.status, html: await res.text() };
      }
      throw new Error('too many redirects');
    }
    return { go };
  }
  const formAction = (page: { url: string; html: string }) =>
    new URL(/<form method="post" action="([^"]+)"/.exec(page.html)?.[1] ?? '', page.url).toString();

  it('the revoked connection gets its webhook and a reconnect link that completes at the provider’s sign-in page', async () => {
    await until(async () => ((await status(DEMO.revoked)) === 'needs_reauth' ? true : undefined));
    await until(() =>
      lines.find((l) => l.includes(`webhook  connection.reauth_required for ${DEMO.revoked}`)),
    );
    const link = await until(() =>
      lines.map((l) => l.trim()).find((l) => l.startsWith('http://') && l.includes('/auth?')),
    );

    const user = browser();
    const signIn = await user.go(link);
    expect(signIn.status).toBe(200);
    expect(signIn.html).toContain('Sign in');
    expect(signIn.html).toContain(`value="${DEMO.revoked}"`);
    const consent = await user.go(formAction(signIn), { account: DEMO.revoked });
    expect(consent.status).toBe(200);
    expect(consent.html).toContain('Allow');
    const done = await user.go(formAction(consent), { action: 'allow' });
    expect(done.url.startsWith(`${local.publicUrl}/v1/oauth/callback?`)).toBe(true);
    expect(done.status).toBe(200);
    expect(done.html).toContain('Connected');

    expect(await status(DEMO.revoked)).toBe('active');
    await until(() => lines.find((l) => l.includes(`webhook  connection.reauthorized for ${DEMO.revoked}`)));
  });

  it('signing in as another demo account is refused with account_mismatch; Deny is access_denied', async () => {
    const session = async () =>
      (
        await runtime.api.post<{ authorization_url: string }>('/v1/connect-sessions', {
          body: { integration_id: DEMO.integrationId, connection_id: 'alice' },
        })
      ).body.authorization_url;
    const wrong = browser();
    const signIn = await wrong.go(await session());
    const consent = await wrong.go(formAction(signIn), { account: 'bob' });
    const refused = await wrong.go(formAction(consent), { action: 'allow' });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('account_mismatch');

    const denying = browser();
    const page = await denying.go(await session());
    const denied = await denying.go(formAction(page), { action: 'deny' });
    expect(denied.html).toContain('access_denied');
    expect(await status('alice')).toBe('active');
  });
});
