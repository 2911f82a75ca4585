import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { type TokenSecrets, tokenSecretsSchema } from '../domain/connection';
import { type ConnectionKey, connectionKeyString } from '../domain/ids';
import { ServiceError } from '../errors';
import type { EncryptionContext, Keyring } from '../ports/keyring';
import type { StoredConnection } from '../ports/store';

/** The encryption context of a connection's token envelope: binds the ciphertext to the connection. */
export const tokensContext = (key: ConnectionKey): EncryptionContext => ({
  integration_id: key.integrationId,
  connection_id: key.connectionId,
  purpose: 'tokens',
});

/** First byte of a compressed plaintext; a JSON plaintext starts with `{` (0x7B). */
const DEFLATED = 0x01;
/** Plaintexts from this size on are compressed (below it the item fits its write unit anyway). */
const COMPRESS_FROM_BYTES = 512;
/** A stored plaintext never inflates past this (tokens are a few KB; the answer cap is 256 KiB). */
const MAX_PLAINTEXT_BYTES = 1024 * 1024;

/**
 * The plaintext of a connection's token envelope: the secrets as JSON, deflated when that makes
 * it smaller (from 512 bytes on). Large tokens (a Microsoft JWT of 2.5 KB and a 1 KB refresh token)
 * shrink by about a fifth, which takes the item under 4 KB: 4 write units per lease and per
 * commit instead of 5. Compressing before encrypting leaks only how compressible the tokens are,
 * to someone who sees item sizes; nobody can mix chosen text into them (no CRIME-style oracle).
 */
export function encodeSecrets(secrets: TokenSecrets): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(secrets));
  if (json.byteLength < COMPRESS_FROM_BYTES) return json;
  const deflated = deflateRawSync(json);
  if (deflated.byteLength + 1 >= json.byteLength) return json;
  const out = new Uint8Array(deflated.byteLength + 1);
  out[0] = DEFLATED;
  out.set(deflated, 1);
  return out;
}

function decodePlaintext(plaintext: Uint8Array): string {
  const bytes =
    plaintext[0] === DEFLATED
      ? inflateRawSync(plaintext.subarray(1), { maxOutputLength: MAX_PLAINTEXT_BYTES })
      : plaintext;
  return new TextDecoder().decode(bytes);
}

/** Decrypts a connection's token envelope. @throws ServiceError `decrypt_failed` | `keyring_unavailable` */
export async function decryptSecrets(keyring: Keyring, connection: StoredConnection): Promise<TokenSecrets> {
  const plaintext = await keyring.decrypt(connection.secretsCiphertext, tokensContext(connection));
  try {
    return tokenSecretsSchema.parse(JSON.parse(decodePlaintext(plaintext)));
  } catch {
    // No cause: a JSON (or zlib) error message could quote the plaintext.
    throw new ServiceError(
      'decrypt_failed',
      `stored secrets of ${connectionKeyString(connection)} are malformed`,
    );
  }
}
