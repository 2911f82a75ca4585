import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  KMSInternalException,
  KMSServiceException,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKmsKeyring, KMS_ENCRYPTION_CONTEXT } from '../../../shared/adapters/aws/kms';
import type { ServiceErrorCode } from '../../../shared/errors';
import { aContext, expectServiceError, installFakeKms, KEY_ARN, manualClock, utf8 } from './fixtures';

const kms = mockClient(KMSClient);
const client = new KMSClient({ region: 'eu-west-1' });
const connection = (i: number) => aContext({ connection_id: `conn_${i}` });
const secret = utf8('1//0refresh-token');

let fakeKms: ReturnType<typeof installFakeKms>;

beforeEach(() => {
  kms.reset();
  fakeKms = installFakeKms(kms);
});

describe('KMS keyring', () => {
  describe('requests to KMS', () => {
    it('asks GenerateDataKey for an AES_256 key under the fixed encryption context and key id', async () => {
      // Prepare
      const keyring = createKmsKeyring(client, KEY_ARN);
      // Act
      await keyring.encrypt(secret, aContext());
      // Assess
      expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({
        KeyId: KEY_ARN,
        KeySpec: 'AES_256',
        EncryptionContext: { service: 'oauth-refresher', purpose: 'token-envelope' },
      });
    });

    it('passes KeyId, the wrapped key and the fixed encryption context to Decrypt', async () => {
      const ciphertext = await createKmsKeyring(client, KEY_ARN).encrypt(secret, aContext());
      const wrapped = kms.commandCalls(GenerateDataKeyCommand)[0]?.returnValue;

      await createKmsKeyring(client, KEY_ARN).decrypt(ciphertext, aContext());

      expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input).toEqual({
        KeyId: KEY_ARN,
        CiphertextBlob: (await wrapped)?.CiphertextBlob,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        EncryptionContext: { ...KMS_ENCRYPTION_CONTEXT },
      });
    });
  });

  describe('call counts', () => {
    it('makes 1 GenerateDataKey and 0 Decrypt for 1,000 encryptions and 1,000 decryptions on a warm keyring', async () => {
      const keyring = createKmsKeyring(client, KEY_ARN);

      const ciphertexts: Uint8Array[] = [];
      for (let i = 0; i < 1_000; i += 1) ciphertexts.push(await keyring.encrypt(secret, connection(i)));
      for (const [i, ciphertext] of ciphertexts.entries()) await keyring.decrypt(ciphertext, connection(i));

      expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
      expect(kms.commandCalls(DecryptCommand)).toHaveLength(0);
    });

    it('makes 1 Decrypt per distinct data key on a cold keyring reading another instance’s ciphertexts', async () => {
      const writer = createKmsKeyring(client, KEY_ARN, { maxUses: 250 });
      const ciphertexts: Uint8Array[] = [];
      for (let i = 0; i < 1_000; i += 1) ciphertexts.push(await writer.encrypt(secret, connection(i)));
      const reader = createKmsKeyring(client, KEY_ARN);

      const plaintexts = await Promise.all(ciphertexts.map((c, i) => reader.decrypt(c, connection(i))));

      expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(4);
      expect(kms.commandCalls(DecryptCommand)).toHaveLength(4);
      expect(plaintexts.every((p) => Buffer.from(p).equals(secret))).toBe(true);
    });

    it('generates a new data key after maxAgeMs', async () => {
      const clock = manualClock();
      const keyring = createKmsKeyring(client, KEY_ARN, { maxAgeMs: 300_000, now: clock.now });
      await keyring.encrypt(secret, aContext());

      clock.advance(300_000);
      await keyring.encrypt(secret, aContext());

      expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
    });

    it('makes 1 GenerateDataKey for 50 concurrent encryptions on a cold keyring', async () => {
      const keyring = createKmsKeyring(client, KEY_ARN);

      await Promise.all(Array.from({ length: 50 }, (_, i) => keyring.encrypt(secret, connection(i))));

      expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    });
  });

  describe('error translation', () => {
    const throttling = new KMSServiceException({
      name: 'ThrottlingException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'Rate exceeded',
    });
    const accessDenied = new KMSServiceException({
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      message: 'not authorized to perform kms:Decrypt',
    });
    const invalidCiphertext = new InvalidCiphertextException({ message: 'invalid', $metadata: {} });
    const internal = new KMSInternalException({ message: 'internal', $metadata: {} });
    const network = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

    it.each<[string, ServiceErrorCode, Error]>([
      ['throttling', 'keyring_unavailable', throttling],
      ['a KMS internal error', 'keyring_unavailable', internal],
      ['a network error', 'keyring_unavailable', network],
      ['access denied', 'encrypt_failed', accessDenied],
    ])('turns %s on GenerateDataKey into %s, keeping the SDK error as cause', async (_, code, sdkError) => {
      kms.on(GenerateDataKeyCommand).rejects(sdkError);

      const error = await expectServiceError(
        createKmsKeyring(client, KEY_ARN).encrypt(secret, aContext()),
        code,
      );

      expect(error.cause).toBe(sdkError);
    });

    it.each<[string, ServiceErrorCode, Error]>([
      ['throttling', 'keyring_unavailable', throttling],
      ['a KMS internal error', 'keyring_unavailable', internal],
      ['a network error', 'keyring_unavailable', network],
      ['InvalidCiphertextException', 'decrypt_failed', invalidCiphertext],
      ['access denied', 'decrypt_failed', accessDenied],
    ])('turns %s on Decrypt into %s, keeping the SDK error as cause', async (_, code, sdkError) => {
      const ciphertext = await createKmsKeyring(client, KEY_ARN).encrypt(secret, aContext());
      kms.on(DecryptCommand).rejects(sdkError);

      const error = await expectServiceError(
        createKmsKeyring(client, KEY_ARN).decrypt(ciphertext, aContext()),
        code,
      );

      expect(error.cause).toBe(sdkError);
    });

    it('calls Decrypt again on the next decryption after throttling (failures are not cached)', async () => {
      const ciphertext = await createKmsKeyring(client, KEY_ARN).encrypt(secret, aContext());
      const reader = createKmsKeyring(client, KEY_ARN);
      kms.on(DecryptCommand).rejectsOnce(throttling).callsFake(fakeKms.decrypt);

      await expectServiceError(reader.decrypt(ciphertext, aContext()), 'keyring_unavailable');
      const plaintext = await reader.decrypt(ciphertext, aContext());

      expect(plaintext).toEqual(secret);
      expect(kms.commandCalls(DecryptCommand)).toHaveLength(2);
    });

    it('rejects an empty key id with config_invalid', () => {
      expect(() => createKmsKeyring(client, ' ')).toThrow(
        expect.objectContaining({ code: 'config_invalid' }),
      );
    });
  });
});
