import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One served file of the console. */
export interface ConsoleAsset {
  readonly body: string;
  readonly contentType: string;
  /** First 16 hex digits of its SHA-256: the `?v=` that makes it cacheable for a year. */
  readonly version: string;
}

export interface ConsoleAssets {
  readonly 'console.js': ConsoleAsset;
  readonly 'console.css': ConsoleAsset;
}

/**
 * Where the built console lives: beside the bundle's `index.mjs` on Lambda (the api function's
 * bundling copies `console/dist` to `console/`), or `console/dist` of the repository from sources.
 */
function assetDirs(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'console'), join(here, '..', '..', 'console', 'dist')];
}

let loaded: ConsoleAssets | null | undefined;

/** The console's files, read once per process; null when they are missing (a bundle built without them). */
export function consoleAssets(): ConsoleAssets | null {
  if (loaded !== undefined) return loaded;
  const dir = assetDirs().find(
    (d) => existsSync(join(d, 'console.js')) && existsSync(join(d, 'console.css')),
  );
  if (dir === undefined) {
    loaded = null;
    return loaded;
  }
  const read = (name: string, contentType: string): ConsoleAsset => {
    const body = readFileSync(join(dir, name), 'utf8');
    return { body, contentType, version: createHash('sha256').update(body).digest('hex').slice(0, 16) };
  };
  loaded = {
    'console.js': read('console.js', 'text/javascript; charset=utf-8'),
    'console.css': read('console.css', 'text/css; charset=utf-8'),
  };
  return loaded;
}

/**
 * The console's Content-Security-Policy: only this service's own scripts, styles and API, nothing
 * inline (styles set from script go through the CSSOM, which CSP allows), no frames, no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page: no inline script or style, just the two files (relative, so a base path keeps working). */
export function consolePage(assets: ConsoleAssets): string {
  const js = assets['console.js'].version;
  const css = assets['console.css'].version;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer">
<title>oauth-refresher console</title>
<link rel="stylesheet" href="console/console.css?v=${css}">
<script type="module" src="console/console.js?v=${js}"></script>
</head><body><noscript>The console needs JavaScript.</noscript><div id="app"></div></body></html>
`;
}
