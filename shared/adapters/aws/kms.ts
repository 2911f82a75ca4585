/**
 * The AWS KMS key provider: data keys come from `GenerateDataKey` (AES_256) and are unwrapped with
 * `Decrypt`, always under {@link KMS_ENCRYPTION_CONTEXT}. This is the only file that knows the KMS
 * SDK. Its errors are translated here into `ServiceError`, with the SDK error kept as `cause`.
 */
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandOutput,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { ServiceError } from '../../errors';
import type { DataKey } from '../../keyring/data-key-cache';
import { KEY_PROVIDER } from '../../keyring/envelope';
import {
  type DataKeyProvider,
  EnvelopeKeyring,
  type EnvelopeKeyringOptions,
} from '../../keyring/envelope-keyring';

/**
 * The KMS encryption context of every GenerateDataKey and Decrypt call. It is fixed so that data keys
 * can be shared across connections (per-connection binding is in the envelope AAD). The CDK infra
 * writes IAM `kms:EncryptionContext:service` / `kms:EncryptionContext:purpose` conditions against it.
 */
export const KMS_ENCRYPTION_CONTEXT = Object.freeze({
  service: 'oauth-refresher',
  purpose: 'token-envelope',
} as const);

/**
 * Decrypt errors that blame the wrapped key itself. Everything else (throttling, network, KMS
 * internal, and also a disabled or pending-deletion key) is `keyring_unavailable`: such an error
 * says nothing about this ciphertext and must not make a caller give up on a connection.
 */
const DECRYPT_REJECTIONS = new Set([
  'InvalidCiphertextException',
  'IncorrectKeyException',
  'AccessDeniedException',
  'AccessDenied',
]);

/** GenerateDataKey rejections that a retry will not fix (configuration or permissions). */
const GENERATE_REJECTIONS = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'NotFoundException',
  'DisabledException',
  'KMSInvalidStateException',
  'InvalidKeyUsageException',
  'InvalidArnException',
  'InvalidGrantTokenException',
]);

export class KmsDataKeyProvider implements DataKeyProvider {
  readonly providerId = KEY_PROVIDER.kms;

  /** @param keyId key id, key ARN, alias name or alias ARN of a symmetric KMS key */
  constructor(
    private readonly client: KMSClient,
    private readonly keyId: string,
  ) {
    if (keyId.trim() === '') throw new ServiceError('config_invalid', 'KMS key id is empty');
  }

  /** @throws ServiceError `encrypt_failed` (rejected by KMS) | `keyring_unavailable` */
  async generateDataKey(): Promise<DataKey> {
    let output: GenerateDataKeyCommandOutput;
    try {
      output = await this.client.send(
        new GenerateDataKeyCommand({
          KeyId: this.keyId,
          KeySpec: 'AES_256',
          EncryptionContext: { ...KMS_ENCRYPTION_CONTEXT },
        }),
      );
    } catch (error) {
      throw translate(
        error,
        'GenerateDataKey',
        GENERATE_REJECTIONS.has(errorName(error)) ? 'encrypt_failed' : undefined,
      );
    }
    if (output.Plaintext === undefined || output.CiphertextBlob === undefined) {
      throw new ServiceError('encrypt_failed', 'KMS GenerateDataKey returned no data key');
    }
    return { plaintext: output.Plaintext, wrapped: output.CiphertextBlob };
  }

  /** @throws ServiceError `decrypt_failed` (invalid or foreign wrapped key, access denied) | `keyring_unavailable` */
  async unwrapDataKey(wrapped: Uint8Array): Promise<Uint8Array> {
    let plaintext: Uint8Array | undefined;
    try {
      const output = await this.client.send(
        new DecryptCommand({
          KeyId: this.keyId,
          CiphertextBlob: wrapped,
          EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
          EncryptionContext: { ...KMS_ENCRYPTION_CONTEXT },
        }),
      );
      plaintext = output.Plaintext;
    } catch (error) {
      throw translate(
        error,
        'Decrypt',
        DECRYPT_REJECTIONS.has(errorName(error)) ? 'decrypt_failed' : undefined,
      );
    }
    if (plaintext === undefined)
      throw new ServiceError('decrypt_failed', 'KMS Decrypt returned no plaintext');
    return plaintext;
  }
}

/**
 * An {@link EnvelopeKeyring} over KMS: 0 KMS calls per refresh on a warm instance.
 * @throws ServiceError `config_invalid` for an empty key id or out-of-range cache options
 */
export function createKmsKeyring(
  client: KMSClient,
  keyId: string,
  options: EnvelopeKeyringOptions = {},
): EnvelopeKeyring {
  return new EnvelopeKeyring(new KmsDataKeyProvider(client, keyId), options);
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function translate(
  error: unknown,
  operation: string,
  rejectedAs: 'encrypt_failed' | 'decrypt_failed' | undefined,
): ServiceError {
  const name = errorName(error);
  return rejectedAs === undefined
    ? new ServiceError('keyring_unavailable', `KMS ${operation} unavailable: ${name}`, { cause: error })
    : new ServiceError(rejectedAs, `KMS ${operation} rejected: ${name}`, { cause: error });
}
