/**
 * What a ciphertext is bound to. Serialized canonically and used as AES-GCM additional
 * authenticated data, so a ciphertext copied to another connection (or used for another purpose)
 * fails to decrypt (design.md invariant 8).
 */
export interface EncryptionContext {
  readonly integration_id: string;
  /** `-` for integration-level secrets (the client secret). */
  readonly connection_id: string;
  readonly purpose: 'tokens' | 'client_secret' | 'connect_session';
}

/** Envelope encryption of small secrets. Adapters: KMS (AWS) and local master key (local mode). */
export interface Keyring {
  /** @throws ServiceError `encrypt_failed` | `keyring_unavailable` */
  encrypt(plaintext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  /** @throws ServiceError `decrypt_failed` (tampered, wrong context, foreign key) | `keyring_unavailable` */
  decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}
