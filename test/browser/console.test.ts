import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, startDemo } from '../../infra/local/demo';
import type { LocalRuntime } from '../../infra/local/runtime';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';
import { HAVE_CHROMIUM, launchChromium, SKIP_NOTICE } from './chromium';

// The operator console (GET /console) in real headless Chromium against the local runtime running
// the demo (`npm start -- --demo`'s provider with its sign-in page, connections and webhooks): the
// whole first hour of an operator, from sign-in to a recovered connection.
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS; // a folder: write the README's screenshots there

describe.skipIf(!HAVE_CHROMIUM)('operator console in headless Chromium', () => {
  let readKey = '';
  let readKeyId = '';
  let runtime: TestRuntime;
  let local: LocalRuntime;
  let adminKey: string;
  let demo: { stop(): Promise<void> };
  let browser: Browser;
  const demoLines: string[] = [];
  /** Console errors of every page (CSP violations show up here). */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    runtime = await startTestRuntime({ name: 'console-browser', scanIntervalSeconds: 1 });
    ({ local, apiKey: adminKey } = runtime);
    demo = await startDemo(local, { revokeAfterMs: 0, log: (line) => demoLines.push(line) });
    const created = await api<{ api_key: string; key_id: string }>('POST', '/v1/api-keys', {
      name: 'viewer',
      scope: 'tokens:read',
    });
    readKey = created.api_key;
    readKeyId = created.key_id;
    rememberSecret(readKey);
    // The demo revokes carol's grant at once: wait until her next refresh finds out.
    await until(
      `${DEMO.revoked} to need reauthorization`,
      async () => (await connection(DEMO.revoked)).status === 'needs_reauth',
      60_000,
    );
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.stop();
    await runtime?.stop();
  });

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await runtime.api.request<T>(method, path, { body });
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status}`);
    return res.body;
  }
  const connection = (id: string) =>
    api<{ status: string; account_id: string | null }>('GET', `/v1/integrations/demo/connections/${id}`);

  async function openConsole(): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('console', (m) => {
      // Answers such as 401/403/404 are logged by Chromium too; they are expected. A CSP violation is not.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${local.url}/console`);
    return page;
  }
  async function signIn(page: Page, key: string): Promise<void> {
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  /** The README's screenshots (`CONSOLE_SCREENSHOTS=docs npx vitest run --project browser`): the page's content only. */
  const shot = async (page: Page, name: string, height?: number) => {
    if (SCREENSHOTS === undefined) return;
    const size = page.viewportSize();
    await page.setViewportSize({ width: 1100, height: height ?? 300 });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: height === undefined });
    if (size !== null) await page.setViewportSize(size);
  };

  it('serves the page with a strict CSP and its own two files only', async () => {
    const res = await fetch(`${local.url}/console`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(res.status).toBe(200);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const page = await res.text();
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)/); // no inline script
    expect(page).not.toMatch(/https?:\/\//); // no third-party host
  });

  it('a wrong key gets a clear message and no console', async () => {
    const page = await openConsole();
    await signIn(page, `ork_${randomBytes(24).toString('hex')}`);
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('API key was not accepted');
    expect(await page.getByRole('link', { name: 'Connections', exact: true }).count()).toBe(0);
    expect(await page.evaluate('Object.keys(sessionStorage).length')).toBe(0);
    await page.close();
  });

  it('an admin finds the needs_reauth connection, reads its history, makes a reconnect link and sees it recovered', async () => {
    const page = await openConsole();
    await shot(page, 'console-sign-in');
    await signIn(page, adminKey);
    // Integrations with their health.
    const card = page.locator('[data-integration="demo"]');
    await card.waitFor();
    await expect.poll(() => card.textContent()).toMatch(/needs reauth|not available/);
    await shot(page, 'console-integrations');
    // The key never went into the URL.
    expect(page.url()).not.toContain(adminKey);

    // Connections, filtered to needs_reauth.
    await page.getByRole('link', { name: 'Connections', exact: true }).click();
    await page.locator('select[name="status"]').selectOption('needs_reauth');
    const row = page.locator(`tr[data-connection="${DEMO.revoked}"]`);
    // The filtered page replaces the unfiltered one: wait for it rather than read a list mid-render.
    await expect.poll(() => page.locator('tr[data-connection]').count()).toBe(1);
    await row.waitFor();
    await shot(page, 'console-connections');

    // One connection: view and history.
    await row.getByRole('link', { name: DEMO.revoked }).click();
    await page.locator('.connection[data-status="needs_reauth"]').waitFor();
    const history = page.locator('.history, .unavailable').first();
    await history.waitFor();
    const historyAvailable = (await page.locator('.history').count()) > 0;
    if (historyAvailable) {
      await expect.poll(() => page.locator('.history tbody').textContent()).toMatch(/revoked|needs reauth/);
    }
    expect(await page.locator('main').textContent()).toContain('revoked');

    // A reconnect link, completed through the demo provider's sign-in page as carol.
    await page.getByRole('button', { name: 'Create reconnect link' }).click();
    const link = await page.locator('#reconnect-url').inputValue();
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\?/);
    await shot(page, 'console-connection');
    const customer = await browser.newPage();
    await customer.goto(link);
    await shot(customer, 'demo-provider-sign-in');
    await customer.getByRole('button', { name: DEMO.revoked, exact: true }).click();
    await customer.getByRole('button', { name: 'Allow' }).click();
    await customer.getByRole('heading', { name: 'Connected' }).waitFor();
    await customer.close();

    // Back in the console: active again.
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.locator('.connection[data-status="active"]').waitFor();
    expect((await connection(DEMO.revoked)).account_id).toMatch(/\|carol$/);
    if (historyAvailable) {
      await expect.poll(() => page.locator('.history tbody').textContent()).toMatch(/reconnect|active/);
    }
    await page.close();
  });

  it('a reconnect by another account at the provider is refused (account_mismatch) and changes nothing', async () => {
    const user = 'dave';
    const before = await connection(user);
    const session = await api<{ authorization_url: string }>('POST', '/v1/connect-sessions', {
      integration_id: DEMO.integrationId,
      connection_id: user,
    });
    const page = await browser.newPage();
    await page.goto(session.authorization_url);
    await page.getByRole('button', { name: 'erin', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Connection failed' }).waitFor();
    expect(await page.locator('body').textContent()).toContain('account_mismatch');
    await page.close();
    expect(await connection(user)).toMatchObject({ account_id: before.account_id });
  });

  it('a tokens:read key sees a read-only console, and the API refuses actions anyway', async () => {
    const page = await openConsole();
    await signIn(page, readKey);
    await page.getByText('read-only (tokens:read)').waitFor();
    await page.getByPlaceholder('integration id').fill(DEMO.integrationId);
    await page.getByPlaceholder('connection id').fill('alice');
    await page.getByRole('button', { name: 'Open connection' }).click();
    await page.locator('.connection').waitFor();
    await page.locator('.readonly-note').waitFor();
    for (const name of ['Refresh now', 'Create reconnect link', 'Retry', 'Delete…'])
      expect(await page.getByRole('button', { name }).count()).toBe(0);
    await shot(page, 'console-read-only');
    // Even a hand-made request from the page with that key is refused.
    const status = await page.evaluate(async (key) => {
      const res = await fetch('/v1/integrations/demo/connections/alice/refresh', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
      });
      return res.status;
    }, readKey);
    expect(status).toBe(403);

    // Revoked while signed in: the next call signs the console out, saying why.
    await api('DELETE', `/v1/api-keys/${readKeyId}`);
    await page.getByRole('link', { name: 'Providers' }).click();
    await page.getByText('The API key stopped working').waitFor();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate('Object.keys(sessionStorage).length')).toBe(0);
    await page.close();
  });

  it('the provider catalogue lists each provider with its known behaviours', async () => {
    const page = await openConsole();
    await signIn(page, adminKey);
    await page.getByRole('link', { name: 'Providers' }).click();
    await page.getByRole('cell', { name: /Xero/ }).waitFor();
    expect(await page.locator('table.providers tbody tr').count()).toBeGreaterThan(50);
    await shot(page, 'console-providers', 520);
    await page.close();
  });

  it('refreshes now, retries the held connections of an integration, and deletes only after a confirmation', async () => {
    const page = await openConsole();
    await signIn(page, adminKey);
    await page
      .locator('[data-integration="demo"]')
      .getByRole('button', { name: 'Retry held connections' })
      .click();
    await page.getByText(/made due now/).waitFor();

    await page.goto(`${local.url}/console#/c/demo/alice`);
    await page.locator('.connection[data-status="active"]').waitFor();
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await page.getByText('Refresh: done.').waitFor();

    await page.goto(`${local.url}/console#/c/demo/erin`);
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    expect(await connection('erin')).toMatchObject({ status: expect.any(String) });
    await page.getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('button', { name: 'Delete for good' }).click();
    await page.getByText('Deleted erin.').waitFor();
    const gone = await runtime.api.get(`/v1/integrations/demo/connections/erin`);
    expect(gone.status).toBe(404);
    await page.close();
  });

  it('showed no token or secret and broke no CSP rule on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});

// Without Chromium the reporter lists the reason with the skipped suite (global-setup.ts says it too).
if (!HAVE_CHROMIUM) {
  describe('operator console in headless Chromium', () => {
    it.skip(SKIP_NOTICE, () => {});
  });
}
