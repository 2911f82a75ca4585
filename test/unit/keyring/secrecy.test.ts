import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKmsKeyring } from '../../../shared/adapters/aws/kms';
import { LocalDataKeyProvider, loadOrCreateMasterKey } from '../../../shared/adapters/local/keyring';
import type { DataKey } from '../../../shared/keyring/data-key-cache';
import { EnvelopeKeyring } from '../../../shared/keyring/envelope-keyring';
import { aContext, envelopeLayout, flipByte, installFakeKms, KEY_ARN, utf8 } from './fixtures';

const kms = mockClient(KMSClient);

/** Records the data keys it hands out, so the test knows which bytes must never leak. */
class RecordingLocalProvider extends LocalDataKeyProvider {
  readonly dataKeys: Uint8Array[] = [];
  override async generateDataKey(): Promise<DataKey> {
    const dataKey = await super.generateDataKey();
    this.dataKeys.push(dataKey.plaintext.slice());
    return dataKey;
  }
}

/** Every string an error exposes: message, stack, own fields (bytes as hex and base64), causes. */
function exposedText(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 5) return inspect(error, { depth: 10 });
  const fields = JSON.stringify({ ...error }, (_, value: unknown) =>
    value instanceof Uint8Array
      ? `${Buffer.from(value).toString('hex')} ${Buffer.from(value).toString('base64')}`
      : value,
  );
  return [
    error.message,
    error.stack,
    fields,
    inspect(error, { depth: 10 }),
    exposedText(error.cause, depth + 1),
  ].join('\n');
}

const encodings = (bytes: Uint8Array) => {
  const buffer = Buffer.from(bytes);
  return [buffer.toString('hex'), buffer.toString('base64'), buffer.toString('base64url')];
};

async function caught(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

beforeEach(() => {
  kms.reset();
});

describe('keyring errors', () => {
  it('never contain the plaintext, the master key or any data key', async () => {
    // Prepare
    const token = 'ya29.a0AfH6SMB-secret-access-token';
    const plaintext = utf8(token);
    const masterKey = new Uint8Array(randomBytes(32));
    const provider = new RecordingLocalProvider(masterKey);
    const local = new EnvelopeKeyring(provider);
    const fake = installFakeKms(kms);
    const kmsKeyring = createKmsKeyring(new KMSClient({ region: 'eu-west-1' }), KEY_ARN);
    const localCiphertext = await local.encrypt(plaintext, aContext());
    const kmsCiphertext = await kmsKeyring.encrypt(plaintext, aContext());
    const at = envelopeLayout(localCiphertext);
    const badEnvValue = randomBytes(31).toString('base64');

    // Act
    const errors = [
      await caught(local.decrypt(flipByte(localCiphertext, at.ciphertext), aContext())),
      await caught(local.decrypt(flipByte(localCiphertext, at.tag), aContext())),
      await caught(local.decrypt(flipByte(localCiphertext, at.wrapped + 7), aContext())),
      await caught(local.decrypt(localCiphertext, aContext({ connection_id: 'conn_b' }))),
      await caught(local.decrypt(localCiphertext.subarray(0, at.ciphertext), aContext())),
      await caught(
        new EnvelopeKeyring(new LocalDataKeyProvider(randomBytes(32))).decrypt(localCiphertext, aContext()),
      ),
      await caught(kmsKeyring.decrypt(kmsCiphertext, aContext({ purpose: 'client_secret' }))),
      await caught(
        createKmsKeyring(new KMSClient({}), KEY_ARN).decrypt(flipByte(kmsCiphertext, 10), aContext()),
      ),
      await caught(loadOrCreateMasterKey({ envValue: badEnvValue })),
    ];
    kms.on(DecryptCommand).rejects(
      new KMSServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: {},
        message: 'slow down',
      }),
    );
    kms.on(GenerateDataKeyCommand).rejects(new Error('connect ETIMEDOUT'));
    errors.push(
      await caught(createKmsKeyring(new KMSClient({}), KEY_ARN).decrypt(kmsCiphertext, aContext())),
      await caught(createKmsKeyring(new KMSClient({}), KEY_ARN).encrypt(plaintext, aContext())),
    );

    // Assess
    const secrets = [
      token,
      badEnvValue,
      ...encodings(plaintext),
      ...encodings(masterKey),
      ...provider.dataKeys.flatMap(encodings),
      ...[...fake.issued.values()].flatMap(encodings),
    ];
    expect(provider.dataKeys.length + fake.issued.size).toBe(2);
    for (const error of errors) {
      expect(error).toHaveProperty('code');
      const text = exposedText(error);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
