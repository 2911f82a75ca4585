import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createLocalKeyring } from '../../../shared/adapters/local/keyring';
import type { TokenSecrets } from '../../../shared/domain/connection';
import type { StoredConnection } from '../../../shared/ports/store';
import { decryptSecrets, encodeSecrets, tokensContext } from '../../../shared/refresh/secrets';

const keyring = createLocalKeyring(randomBytes(32));
const key = { integrationId: 'msft', connectionId: 'user-1' };
const b64 = (chars: number) => randomBytes(chars).toString('base64url').slice(0, chars);

/** What the store hands decryptSecrets: only the key and the ciphertext matter to it. */
async function stored(plaintext: Uint8Array): Promise<StoredConnection> {
  const secretsCiphertext = await keyring.encrypt(plaintext, tokensContext(key));
  return { ...key, secretsCiphertext } as unknown as StoredConnection;
}

describe('token envelope plaintext', () => {
  it('keeps small secrets as plain JSON', async () => {
    const secrets: TokenSecrets = { access_token: `ya29.${b64(195)}`, refresh_token: `1//${b64(97)}` };
    const plaintext = encodeSecrets(secrets);
    expect(String.fromCharCode(plaintext[0] ?? 0)).toBe('{');
    expect(await decryptSecrets(keyring, await stored(plaintext))).toEqual(secrets);
  });

  it('deflates large secrets (a Microsoft-sized JWT and refresh token) by about a fifth, and reads them back', async () => {
    const secrets: TokenSecrets = {
      access_token: `${b64(36)}.${b64(2120)}.${b64(342)}`,
      refresh_token: `1.AXYA${b64(994)}`,
      raw: { ext_expires_in: 4371 },
    };
    const json = new TextEncoder().encode(JSON.stringify(secrets));
    const plaintext = encodeSecrets(secrets);
    expect(plaintext[0]).toBe(0x01);
    expect(plaintext.byteLength).toBeLessThan(json.byteLength * 0.85);
    expect(await decryptSecrets(keyring, await stored(plaintext))).toEqual(secrets);
  });

  it('still reads envelopes written before compression (large plain JSON)', async () => {
    const secrets: TokenSecrets = { access_token: b64(3000), refresh_token: b64(1000) };
    const legacy = new TextEncoder().encode(JSON.stringify(secrets));
    expect(await decryptSecrets(keyring, await stored(legacy))).toEqual(secrets);
  });

  it('refuses a corrupt or oversized compressed plaintext as decrypt_failed, quoting nothing of it', async () => {
    const token = b64(600);
    const corrupt = new Uint8Array([0x01, ...new TextEncoder().encode(token)]);
    await expect(decryptSecrets(keyring, await stored(corrupt))).rejects.toMatchObject({
      code: 'decrypt_failed',
      message: expect.not.stringContaining(token.slice(0, 20)),
    });
    const bomb = new Uint8Array([0x01, ...deflateRawSync(Buffer.alloc(2 * 1024 * 1024, 0x61))]);
    await expect(decryptSecrets(keyring, await stored(bomb))).rejects.toMatchObject({
      code: 'decrypt_failed',
    });
  });
});
