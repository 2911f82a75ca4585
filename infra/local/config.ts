import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as z from 'zod';
import { configSchema } from '../../shared/config/config';
import { ServiceError } from '../../shared/errors';

/** Local mode configuration, api.md "Local mode configuration" (plus `TABLE_NAME`). */
export interface LocalConfig {
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** Explicit `PUBLIC_URL`; when absent it is `http://127.0.0.1:<actual port>`. */
  readonly publicUrl: string | undefined;
  /** Absolute. */
  readonly dataDir: string;
  readonly scanIntervalSeconds: number;
  readonly apiKey: string | undefined;
  readonly webhookUrl: string | undefined;
  readonly webhookSecret: string | undefined;
  readonly allowPrivateUrls: boolean;
  readonly logLevel: string;
  readonly tableName: string;
}

const fn = configSchema.shape;
const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  PUBLIC_URL: fn.publicUrl,
  DATA_DIR: z.string().min(1).default('.data'),
  SCAN_INTERVAL_SECONDS: z.coerce.number().min(1).max(86_400).default(60),
  // A short key is guessable; 16 characters is the floor for a key someone picked by hand.
  API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_URL: fn.webhookUrl,
  WEBHOOK_SECRET: fn.webhookSecret,
  // Local mode serves providers and receivers on loopback, so private URLs are allowed by default.
  ALLOW_PRIVATE_URLS: fn.allowPrivateUrls.unwrap().default(true),
  LOG_LEVEL: z.string().min(1).default('info'),
  TABLE_NAME: fn.tableName.default('oauth-refresher'),
});

/**
 * Reads the local configuration from an environment (empty values count as unset).
 * @throws ServiceError `config_invalid` naming every bad variable (never its value).
 */
export function readLocalConfig(env: Readonly<Record<string, string | undefined>>): LocalConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new ServiceError('config_invalid', `invalid local configuration: ${problems.join('; ')}`);
  }
  const c = result.data;
  return {
    port: c.PORT,
    // No trailing slash: the OAuth callback is `${PUBLIC_URL}/v1/oauth/callback`.
    publicUrl: c.PUBLIC_URL?.replace(/\/+$/, ''),
    dataDir: resolve(c.DATA_DIR),
    scanIntervalSeconds: c.SCAN_INTERVAL_SECONDS,
    apiKey: c.API_KEY,
    webhookUrl: c.WEBHOOK_URL,
    webhookSecret: c.WEBHOOK_SECRET,
    allowPrivateUrls: c.ALLOW_PRIVATE_URLS,
    logLevel: c.LOG_LEVEL,
    tableName: c.TABLE_NAME,
  };
}

export const API_KEY_FILE = 'api-key';
export const WEBHOOK_SECRET_FILE = 'webhook-secret';

/** Where a secret came from: the banner prints only generated ones. */
export type SecretSource = 'env' | 'file' | 'generated';

/** A new admin API key: `ork_` + 32 random bytes, base64url. */
export function generateApiKey(): string {
  return `ork_${randomBytes(32).toString('base64url')}`;
}

/** The digest the API stores and compares (api.md: keys are kept only as SHA-256 digests). */
export function apiKeyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The value of an env-configured secret, else the one kept in `${dataDir}/${file}`, else a new one
 * written there (mode 0600). Creation never overwrites: a temp file is hard-linked into place, so
 * two processes starting at once agree on one value (the loser reads the winner's).
 */
export async function loadOrCreateSecret(
  dataDir: string,
  file: string,
  envValue: string | undefined,
  generate: () => Promise<string> | string,
): Promise<{ value: string; source: SecretSource }> {
  if (envValue !== undefined) return { value: envValue, source: 'env' };
  const path = join(dataDir, file);
  const existing = await readSecretFile(path);
  if (existing !== undefined) return { value: existing, source: 'file' };
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const value = await generate();
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${value}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, path);
    return { value, source: 'generated' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readSecretFile(path);
    if (theirs === undefined) throw error;
    return { value: theirs, source: 'file' };
  } finally {
    await rm(temp, { force: true });
  }
}

async function readSecretFile(path: string): Promise<string | undefined> {
  try {
    const value = (await readFile(path, 'utf8')).trim();
    if (value === '')
      throw new ServiceError('config_invalid', `${path} is empty: delete it to generate a new value`);
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export const LOCK_FILE = 'runtime.pid';

/**
 * Claims `dataDir` for this process (`runtime.pid`, created exclusively). Two runtimes on one
 * DATA_DIR would share dynalite's LevelDB (the second crashes inside dynalite with "Database is
 * closed") and overwrite each other's saved webhooks. A lock left by a process that no longer
 * exists is taken over.
 * @returns the release function.
 * @throws ServiceError `config_invalid` while another live process holds the directory.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processExists(pid)) {
        throw new ServiceError(
          'config_invalid',
          `DATA_DIR ${dataDir} is in use by another local runtime (pid ${pid}): stop it, or set another DATA_DIR`,
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new ServiceError('config_invalid', `cannot lock DATA_DIR ${dataDir} (${path} keeps reappearing)`);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: an existence check, nothing is sent
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
