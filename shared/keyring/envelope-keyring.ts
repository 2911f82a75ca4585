/**
 * Envelope encryption with cached data keys: the {@link Keyring} behind both adapters.
 *
 * ## Strategy
 * Each secret is sealed with AES-256-GCM under a 32-byte data key (DEK). The DEK is wrapped by a
 * {@link DataKeyProvider} (KMS in AWS, a local master key in local mode) and the wrapped DEK is
 * stored in the envelope ({@link sealEnvelope}). DEKs are cached
 * ({@link DataKeyCache}):
 * - Encryption reuses one DEK for at most `maxAgeMs` (5 min) and `maxUses` (10,000).
 * - Decryption keeps unwrapped DEKs in an LRU (1,000 entries, same max age).
 *
 * The binding to a connection comes from the AAD (`{integration_id, connection_id, purpose}` plus
 * the envelope header), not from a DEK per connection. That is why the cache works: one DEK serves
 * every connection a warm Lambda touches in a 5-minute window. A refresh (decrypt, then encrypt the
 * new tokens) costs 0 KMS calls on a warm instance. A cold instance pays 1 GenerateDataKey plus
 * 1 Decrypt per distinct DEK it reads, and a DEK is shared by many items. A DEK per connection
 * with the connection in the KMS encryption context would cost 1–2 KMS calls per refresh
 * (≈ $0.03 per 10k, plus KMS request quotas) for little real gain (see below).
 *
 * ## Limits
 * - Blast radius: a DEK leaked from memory exposes every secret sealed under it (at most
 *   `maxUses` encryptions in `maxAgeMs`) and every cached DEK of that process. With a DEK per
 *   connection it would expose one connection.
 * - Audit: CloudTrail records KMS calls with the fixed KMS encryption context, so it shows that
 *   this service unwrapped a DEK, not which connection was read. IAM `kms:EncryptionContext`
 *   conditions can restrict the service, but not one integration.
 * - Wiping evicted DEKs is best effort: the cache zeroes its own buffers, but JS and OpenSSL may
 *   keep copies until the garbage collector runs.
 * - GCM with random 96-bit IVs: `maxUses` is capped at 2^32 per key (NIST SP 800-38D §8.3).
 *   The default is far below that.
 *
 * ## An attacker with read/write access to the table (but not to KMS decrypt)
 * Cannot:
 * - read any secret: the DEKs are wrapped by KMS, and unwrapping needs `kms:Decrypt` on the key
 *   with the fixed encryption context;
 * - change a ciphertext unnoticed: GCM covers every byte;
 * - move a ciphertext to another connection, integration or purpose (for example, make a
 *   connect-session blob decrypt as tokens): the AAD differs, so decryption fails with
 *   `decrypt_failed`.
 *
 * Can:
 * - delete or corrupt items (denial of service);
 * - roll a connection back to an older ciphertext of the same connection and purpose, because
 *   the AAD carries no version (rotated refresh tokens are usually dead by then);
 * - see ciphertext lengths, and see which items share a wrapped DEK (written by the same instance
 *   around the same time).
 *
 * Code that runs as the service role can decrypt everything: envelope encryption does not protect
 * against that.
 */
import { ServiceError } from '../errors';
import type { EncryptionContext, Keyring, Sealer } from '../ports/keyring';
import { type DataKey, DataKeyCache, type DataKeyCacheOptions } from './data-key-cache';
import { DATA_KEY_BYTES, type KeyProviderId, openEnvelope, parseEnvelope, sealEnvelope } from './envelope';

/** Makes and unwraps data keys. Adapters: `KmsDataKeyProvider` (kms.ts) and `LocalDataKeyProvider` (local.ts). */
export interface DataKeyProvider {
  /** Written into every envelope; envelopes of another provider are refused without a call. */
  readonly providerId: KeyProviderId;
  /** A fresh 32-byte data key and its wrapped form. @throws ServiceError `encrypt_failed` | `keyring_unavailable` */
  generateDataKey(): Promise<DataKey>;
  /** @throws ServiceError `decrypt_failed` | `keyring_unavailable` */
  unwrapDataKey(wrapped: Uint8Array): Promise<Uint8Array>;
}

export type EnvelopeKeyringOptions = DataKeyCacheOptions;

export class EnvelopeKeyring implements Keyring {
  private readonly cache: DataKeyCache;

  /** @throws ServiceError `config_invalid` when a cache option is out of range */
  constructor(
    private readonly provider: DataKeyProvider,
    options: EnvelopeKeyringOptions = {},
  ) {
    this.cache = new DataKeyCache(options);
  }

  /** @throws ServiceError `encrypt_failed` | `keyring_unavailable` */
  async encrypt(plaintext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    return this.cache.withEncryptionKey(
      () => this.generate(),
      (key, wrapped) => sealEnvelope(this.provider.providerId, wrapped, key, plaintext, context),
    );
  }

  /**
   * A sealer holding its own copy of the current data key (one use counted against it), so that
   * the later seal needs neither the cache nor the key provider. @throws `encrypt_failed` | `keyring_unavailable`
   */
  async prepareSeal(context: EncryptionContext): Promise<Sealer> {
    const { key, wrapped } = await this.cache.withEncryptionKey(
      () => this.generate(),
      (k, w) => ({ key: k.slice(), wrapped: w.slice() }),
    );
    const providerId = this.provider.providerId;
    let used = false;
    return {
      seal: (plaintext) => {
        if (used) throw new ServiceError('encrypt_failed', 'a sealer seals once');
        used = true;
        try {
          return sealEnvelope(providerId, wrapped, key, plaintext, context);
        } finally {
          key.fill(0);
        }
      },
      dispose: () => {
        used = true;
        key.fill(0);
      },
    };
  }

  /** @throws ServiceError `decrypt_failed` (tampered, wrong context, foreign key) | `keyring_unavailable` */
  async decrypt(ciphertext: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const envelope = parseEnvelope(ciphertext);
    if (envelope.providerId !== this.provider.providerId) {
      throw new ServiceError('decrypt_failed', 'envelope was sealed by a different key provider');
    }
    return this.cache.withDecryptionKey(
      envelope.wrappedKey,
      (wrapped) => this.unwrap(wrapped),
      (key) => openEnvelope(envelope, key, context),
    );
  }

  /** Wipe all cached data keys (best effort). */
  clear(): void {
    this.cache.clear();
  }

  private async generate(): Promise<DataKey> {
    const dataKey = await this.provider.generateDataKey();
    if (dataKey.plaintext.length !== DATA_KEY_BYTES || dataKey.wrapped.length === 0) {
      throw new ServiceError('encrypt_failed', 'key provider returned a malformed data key');
    }
    return dataKey;
  }

  private async unwrap(wrapped: Uint8Array): Promise<Uint8Array> {
    const key = await this.provider.unwrapDataKey(wrapped);
    if (key.length !== DATA_KEY_BYTES) {
      throw new ServiceError('decrypt_failed', 'key provider returned a data key of the wrong length');
    }
    return key;
  }
}
