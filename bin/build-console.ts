/**
 * Builds the operator console (`GET /console`) from `console/src/` into `console/dist/`: one minified ES module (preact + htm + the app) and one stylesheet.
 * The output is committed, so `npm start` and the Lambda bundle serve it without a build step;
 * `npm run build:console` regenerates it after a change, and a unit test fails while it is stale.
 *
 *   npm run build:console
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_SRC = join(ROOT, 'console', 'src');
export const CONSOLE_DIST = join(ROOT, 'console', 'dist');

/** The files of the console, by name, as they are served. */
export async function buildConsole(): Promise<Record<string, string>> {
  const result = await build({
    entryPoints: { console: join(CONSOLE_SRC, 'main.ts'), 'console-style': join(CONSOLE_SRC, 'style.css') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    write: false,
    outdir: CONSOLE_DIST,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const files: Record<string, string> = {};
  for (const file of result.outputFiles) {
    const name = file.path.slice(CONSOLE_DIST.length + 1).replace('console-style.css', 'console.css');
    files[name] = file.text;
  }
  return files;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await buildConsole();
  await mkdir(CONSOLE_DIST, { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await writeFile(join(CONSOLE_DIST, name), text);
    console.log(`${join('console/dist', name)}  ${(Buffer.byteLength(text) / 1024).toFixed(1)} KB`);
  }
}
