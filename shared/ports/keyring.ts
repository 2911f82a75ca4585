/**
 * What a ciphertext is bound to. Serialized canonically and used as AES-GCM additional
 * authenticated data, so a ciphertext copied to another connection (or used for another purpose)
 * fails to decrypt (design.md invariant 8).
 */
export interface EncryptionContext {
  readonly integration_id: string;
  /** `-` for integration-level secrets (the client secret). */
  readonly connection_id: string;
  readonly purpose: 'tokens' | 'client_secret' | 'connect_session' | 'listing_cursor';
}

/**
 * An encryption prepared in advance: the data key is already in hand, so sealing is pure CPU work
 * that makes no call and cannot fail for a key-service reason. A refresh takes one before it
 * presents the refresh token (reliability.md promise 21): after the provider answered, a KMS
 * throttle or a cold cache must not stand between the new tokens and their commit.
 */
export interface Sealer {
  /** Seals `plaintext` for the context the sealer was prepared for. Synchronous; single use. */
  seal(plaintext: Uint8Array): Uint8Array;
  /** Wipes the data key copy (best effort). Call when the sealer is no longer needed. */
  dispose(): void;
}

/** Envelope encryption of small secrets. Adapters: KMS (AWS) and local master key (local mode). */
export interface Keyring {
  /**
   * Reserves a data key for one later encryption under `context`.
   * @throws ServiceError `encrypt_failed` | `keyring_unavailable`
   */
  prepareSeal(context: EncryptionContext): Promise<Sealer>;
  /** @throws ServiceError `encrypt_failed` | `keyring_unavailable` */
  encrypt(plaintext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
  /** @throws ServiceError `decrypt_failed` (tampered, wrong context, foreign key) | `keyring_unavailable` */
  decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}
