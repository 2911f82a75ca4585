import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConsole, CONSOLE_DIST } from '../../../bin/build-console';
import { consoleRoutes } from '../../../shared/api/routes/console';
import { CONSOLE_CSP, consoleAssets } from '../../../shared/console/assets';

const handle = (path: string, query: Record<string, string> = {}) => {
  const found = consoleRoutes.find((r) => r.path === path);
  if (found === undefined) throw new Error(`no route ${path}`);
  return found.handle({
    deps: undefined as never,
    params: undefined,
    query,
    body: undefined,
    headers: {},
    requestId: 'r',
    remainingTimeMs: () => 1_000,
  }) as Promise<{ status: number; html: string; headers: Record<string, string> }>;
};

describe('operator console assets', () => {
  it('the committed console/dist is what `npm run build:console` builds from console/src', async () => {
    const built = await buildConsole();
    expect(Object.keys(built).sort()).toEqual(['console.css', 'console.js']);
    for (const [name, text] of Object.entries(built)) {
      expect(
        readFileSync(join(CONSOLE_DIST, name), 'utf8'),
        `${name} is stale: run npm run build:console`,
      ).toBe(text);
    }
  }, 30_000);

  it('stays small: under 40 KB of script and 8 KB of styles before compression', () => {
    const assets = consoleAssets();
    expect(assets).not.toBeNull();
    expect(Buffer.byteLength(assets?.['console.js'].body ?? '')).toBeLessThan(40 * 1024);
    expect(Buffer.byteLength(assets?.['console.css'].body ?? '')).toBeLessThan(8 * 1024);
  });

  it('GET /console: a page without inline script or style, third-party hosts or secrets, under a strict CSP', async () => {
    const page = await handle('/console');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toMatch(/default-src 'self'/);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(page.html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(page.html).not.toMatch(/<style|style=/);
    expect(page.html).not.toMatch(/https?:\/\//);
  });

  it('GET /console/ redirects to the console, relative to where it is served', async () => {
    const found = consoleRoutes.find((r) => r.path === '/console/');
    const res = (await found?.handle({} as never)) as { status: number; headers: Record<string, string> };
    expect(res.status).toBe(301);
    expect(new URL(res.headers.location ?? '', 'https://api.example/base/console/').pathname).toBe(
      '/base/console',
    );
  });

  it('serves its script and styles with their types; the versioned URL is cacheable for good', async () => {
    const page = await handle('/console');
    const version = /console\.js\?v=([0-9a-f]{16})/.exec(page.html)?.[1] ?? '';
    const js = await handle('/console/console.js', { v: version });
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await handle('/console/console.js')).headers['cache-control']).toBe('no-cache');
    const css = await handle('/console/console.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    // The bundle talks to nothing but its own origin.
    expect(js.html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });
});
