import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * `DATA_DIR/runtime-url`: the URL of the local runtime serving this DATA_DIR, written by `npm start`
 * once it listens and removed when it stops, so `npm run keys` finds the running service's API.
 */
export const RUNTIME_URL_FILE = 'runtime-url';

export async function writeRuntimeUrl(dataDir: string, url: string): Promise<() => Promise<void>> {
  const path = join(dataDir, RUNTIME_URL_FILE);
  await writeFile(path, `${url}\n`, { mode: 0o600 });
  return () => rm(path, { force: true });
}
