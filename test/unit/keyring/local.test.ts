import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createLocalKeyring,
  loadOrCreateMasterKey,
  MASTER_KEY_FILE,
} from '../../../shared/adapters/local/keyring';
import { aContext, expectServiceError, utf8 } from './fixtures';

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'keyring-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadOrCreateMasterKey', () => {
  it('creates a 32-byte key readable only by its owner (0600), creating missing directories', async () => {
    // Prepare
    const dataDir = join(root, 'nested', 'data');
    // Act
    const key = await loadOrCreateMasterKey({ dataDir });
    // Assess
    const file = join(dataDir, MASTER_KEY_FILE);
    expect(key).toHaveLength(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toEqual(Buffer.from(key));
    expect(await readdir(dataDir)).toEqual([MASTER_KEY_FILE]); // no temp file left behind
  });

  it('reuses the stored key on the next load', async () => {
    const first = await loadOrCreateMasterKey({ dataDir: root });

    const second = await loadOrCreateMasterKey({ dataDir: root });

    expect(second).toEqual(first);
  });

  it('gives every concurrent first load the same key', async () => {
    const keys = await Promise.all(
      Array.from({ length: 10 }, () => loadOrCreateMasterKey({ dataDir: root })),
    );

    const distinct = new Set(keys.map((key) => Buffer.from(key).toString('hex')));
    expect(distinct.size).toBe(1);
    expect(await readdir(root)).toEqual([MASTER_KEY_FILE]);
  });

  it('prefers the MASTER_KEY value over the key file and leaves the data dir untouched', async () => {
    const envKey = randomBytes(32);
    const dataDir = join(root, 'unused');

    const key = await loadOrCreateMasterKey({ dataDir, envValue: envKey.toString('base64') });

    expect(Buffer.from(key)).toEqual(envKey);
    await expect(stat(dataDir)).rejects.toThrow();
  });

  it('prefers the MASTER_KEY value over an existing key file', async () => {
    const stored = await loadOrCreateMasterKey({ dataDir: root });
    const envKey = randomBytes(32);

    const key = await loadOrCreateMasterKey({ dataDir: root, envValue: envKey.toString('base64') });

    expect(Buffer.from(key)).toEqual(envKey);
    expect(key).not.toEqual(stored);
  });

  it('treats an empty MASTER_KEY as unset', async () => {
    const key = await loadOrCreateMasterKey({ dataDir: root, envValue: '' });

    expect(key).toHaveLength(32);
  });

  it.each([
    ['16 bytes', randomBytes(16).toString('base64'), 'decodes to 16 bytes, expected 32'],
    ['33 bytes', randomBytes(33).toString('base64'), 'decodes to 33 bytes, expected 32'],
    ['not base64', `${randomBytes(30).toString('hex')}!`, 'is not valid base64'],
  ])(
    'rejects a MASTER_KEY of %s with config_invalid, without echoing the value',
    async (_, value, problem) => {
      const error = await expectServiceError(
        loadOrCreateMasterKey({ dataDir: root, envValue: value }),
        'config_invalid',
      );

      expect(error.message).toContain(`MASTER_KEY ${problem}`);
      expect(error.message).not.toContain(value);
      expect(JSON.stringify(error)).not.toContain(value);
    },
  );

  it('rejects a corrupt key file with config_invalid, without echoing its content', async () => {
    const content = randomBytes(20).toString('base64');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, MASTER_KEY_FILE), content, { mode: 0o600 });

    const error = await expectServiceError(loadOrCreateMasterKey({ dataDir: root }), 'config_invalid');

    expect(error.message).toContain(MASTER_KEY_FILE);
    expect(error.message).not.toContain(content);
  });

  it('rejects a call with neither MASTER_KEY nor a data dir', async () => {
    await expectServiceError(loadOrCreateMasterKey({}), 'config_invalid');
  });
});

describe('createLocalKeyring', () => {
  it('round-trips with a loaded master key across keyring instances', async () => {
    const masterKey = await loadOrCreateMasterKey({ dataDir: root });
    const ciphertext = await createLocalKeyring(masterKey).encrypt(utf8('secret'), aContext());

    const reloaded = createLocalKeyring(await loadOrCreateMasterKey({ dataDir: root }));

    expect(await reloaded.decrypt(ciphertext, aContext())).toEqual(utf8('secret'));
  });

  it('rejects a master key that is not 32 bytes', () => {
    expect(() => createLocalKeyring(new Uint8Array(16))).toThrow(
      expect.objectContaining({ code: 'config_invalid' }),
    );
  });
});
