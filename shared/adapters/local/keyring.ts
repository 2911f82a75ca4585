/**
 * Local-mode key provider: a 32-byte master key wraps data keys with AES-256-GCM, standing in for
 * KMS. The master key comes from `MASTER_KEY` (base64) or from `${DATA_DIR}/master.key`, which is
 * created on first use. Suitable for development and self-hosting on one machine; anyone who can read
 * the master key file can decrypt every secret.
 */
import { randomFillSync, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ServiceError } from '../../errors';
import type { DataKey } from '../../keyring/data-key-cache';
import { DATA_KEY_BYTES, gcmOpen, gcmSeal, KEY_PROVIDER, splitSealed } from '../../keyring/envelope';
import {
  type DataKeyProvider,
  EnvelopeKeyring,
  type EnvelopeKeyringOptions,
} from '../../keyring/envelope-keyring';

/** AAD of wrapped data keys, so a master-key-sealed blob of another kind never unwraps as a data key. */
const WRAP_AAD = new TextEncoder().encode('oauth-refresher:local-dek:v1');
export const MASTER_KEY_FILE = 'master.key';
const MASTER_KEY_BYTES = 32;

export class LocalDataKeyProvider implements DataKeyProvider {
  readonly providerId = KEY_PROVIDER.local;
  private readonly masterKey: Uint8Array;

  /** @throws ServiceError `config_invalid` when the master key is not 32 bytes */
  constructor(masterKey: Uint8Array) {
    if (masterKey.length !== MASTER_KEY_BYTES) {
      throw new ServiceError('config_invalid', `master key must be ${MASTER_KEY_BYTES} bytes`);
    }
    this.masterKey = masterKey.slice();
  }

  async generateDataKey(): Promise<DataKey> {
    const plaintext = randomFillSync(new Uint8Array(DATA_KEY_BYTES));
    return { plaintext, wrapped: gcmSeal(this.masterKey, plaintext, WRAP_AAD) };
  }

  /** @throws ServiceError `decrypt_failed` when the blob was not wrapped by this master key */
  async unwrapDataKey(wrapped: Uint8Array): Promise<Uint8Array> {
    const { iv, tag, ciphertext } = splitSealed(wrapped);
    return gcmOpen(this.masterKey, iv, tag, ciphertext, WRAP_AAD);
  }
}

/** An {@link EnvelopeKeyring} over a local master key. @throws ServiceError `config_invalid` */
export function createLocalKeyring(
  masterKey: Uint8Array,
  options: EnvelopeKeyringOptions = {},
): EnvelopeKeyring {
  return new EnvelopeKeyring(new LocalDataKeyProvider(masterKey), options);
}

export interface MasterKeySource {
  /** Directory of `master.key` (the service's `DATA_DIR`). */
  readonly dataDir?: string;
  /** Value of the `MASTER_KEY` env var; empty counts as unset. Read by the config layer, not here. */
  readonly envValue?: string;
}

/**
 * The local master key. `envValue` (the value of `MASTER_KEY`, base64 of 32 bytes) wins when it is
 * set and not empty. Otherwise the key is read from `${dataDir}/master.key`, or created there with
 * mode 0600. Creation is atomic and never overwrites: the key is written to a temp file and then
 * hard-linked into place. A plain rename would silently replace a key that a concurrent process has
 * already started using. If another process wins the race, its key is read and returned.
 *
 * @throws ServiceError `config_invalid`: the value is malformed (the message states the problem and
 *   never contains the value), neither source is given, or the file cannot be read or created.
 */
export async function loadOrCreateMasterKey(source: MasterKeySource): Promise<Uint8Array> {
  if (source.envValue !== undefined && source.envValue.trim() !== '') {
    return decodeMasterKey(source.envValue, 'MASTER_KEY');
  }
  if (source.dataDir === undefined || source.dataDir === '') {
    throw new ServiceError('config_invalid', 'no master key: set MASTER_KEY or DATA_DIR', {
      details: { problems: ['MASTER_KEY and DATA_DIR are both unset'] },
    });
  }
  const path = join(source.dataDir, MASTER_KEY_FILE);
  try {
    return (await readKeyFile(path)) ?? (await createKeyFile(source.dataDir, path));
  } catch (error) {
    if (error instanceof ServiceError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ServiceError('config_invalid', `cannot read or create master key ${path}: ${code}`, {
      cause: error,
    });
  }
}

async function readKeyFile(path: string): Promise<Uint8Array | undefined> {
  try {
    return decodeMasterKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function createKeyFile(dir: string, path: string): Promise<Uint8Array> {
  await mkdir(dir, { recursive: true });
  const key = randomFillSync(new Uint8Array(MASTER_KEY_BYTES));
  const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(`${Buffer.from(key).toString('base64')}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await link(temp, path);
    return key;
  } catch (error) {
    key.fill(0);
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = await readKeyFile(path);
    if (theirs === undefined) throw error;
    return theirs;
  } finally {
    await rm(temp, { force: true });
  }
}

function decodeMasterKey(value: string, source: string): Uint8Array {
  const text = value.trim();
  let problem: string | undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    problem = 'is not valid base64';
  } else {
    const decoded = Buffer.from(text, 'base64');
    if (decoded.length === MASTER_KEY_BYTES) {
      const key = new Uint8Array(decoded);
      decoded.fill(0);
      return key;
    }
    problem = `decodes to ${decoded.length} bytes, expected ${MASTER_KEY_BYTES}`;
    decoded.fill(0);
  }
  throw new ServiceError(
    'config_invalid',
    `${source} ${problem}: it must be base64 of 32 random bytes (generate one with \`openssl rand -base64 32\`)`,
    { details: { problems: [`${source} ${problem}`] } },
  );
}
