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

export function encodeSecrets(secrets: TokenSecrets): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(secrets));
}

/** Decrypts a connection's token envelope. @throws ServiceError `decrypt_failed` | `keyring_unavailable` */
export async function decryptSecrets(keyring: Keyring, connection: StoredConnection): Promise<TokenSecrets> {
  const plaintext = await keyring.decrypt(connection.secretsCiphertext, tokensContext(connection));
  try {
    return tokenSecretsSchema.parse(JSON.parse(new TextDecoder().decode(plaintext)));
  } catch {
    // No cause: a JSON error message would quote the plaintext.
    throw new ServiceError(
      'decrypt_failed',
      `stored secrets of ${connectionKeyString(connection)} are malformed`,
    );
  }
}
