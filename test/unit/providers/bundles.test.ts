import { join } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** The project files a function's handler bundles (npm packages left out: only the graph matters). */
async function bundledFiles(fn: string): Promise<string[]> {
  const result = await build({
    entryPoints: [join(ROOT, 'functions', fn, 'handler.ts')],
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
}

// catalogue-docs.ts (every provider's behaviours, quirks, notes and their sources) is for
// GET /v1/providers only: the functions that refresh tokens resolve integrations from catalogue.ts.
describe('the provider catalogue in the Lambda bundles', () => {
  it.each(['scheduler', 'refresher', 'webhook-sender'])(
    '%s bundles the catalogue without its documentation',
    async (fn) => {
      const files = await bundledFiles(fn);
      expect(files).toContain('shared/providers/catalogue.ts');
      expect(files.filter((file) => /^shared\/providers\/(catalogue-docs|schema)\.ts$/.test(file))).toEqual(
        [],
      );
    },
  );

  it('api bundles the documentation for GET /v1/providers', async () => {
    expect(await bundledFiles('api')).toContain('shared/providers/catalogue-docs.ts');
  });
});
