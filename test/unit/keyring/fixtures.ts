/** Builders and fakes shared by the keyring specs. */
import { randomBytes } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  DecryptCommand,
  type DecryptCommandInput,
  GenerateDataKeyCommand,
  type GenerateDataKeyCommandInput,
  IncorrectKeyException,
  InvalidCiphertextException,
  type KMSClient,
} from '@aws-sdk/client-kms';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { expect } from 'vitest';
import { KMS_ENCRYPTION_CONTEXT } from '../../../shared/adapters/aws/kms';
import { ServiceError, type ServiceErrorCode } from '../../../shared/errors';
import type { DataKey } from '../../../shared/keyring/data-key-cache';
import { KEY_PROVIDER } from '../../../shared/keyring/envelope';
import type { DataKeyProvider } from '../../../shared/keyring/envelope-keyring';
import type { EncryptionContext } from '../../../shared/ports/keyring';

export const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

export function aContext(overrides: Partial<EncryptionContext> = {}): EncryptionContext {
  return { integration_id: 'int_google', connection_id: 'conn_a', purpose: 'tokens', ...overrides };
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A copy of `bytes` with the byte at `index` inverted. */
export function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice();
  copy[index] = (copy[index] ?? 0) ^ 0xff;
  return copy;
}

/** Byte offsets of an envelope's fields (see shared/keyring/envelope.ts). */
export function envelopeLayout(envelope: Uint8Array) {
  const n = ((envelope[2] ?? 0) << 8) | (envelope[3] ?? 0);
  return { version: 0, provider: 1, length: 2, wrapped: 4, iv: 4 + n, tag: 16 + n, ciphertext: 32 + n };
}

/** Awaits `promise`, asserts it rejected with a ServiceError of `code`, and returns that error. */
export async function expectServiceError(
  promise: Promise<unknown>,
  code: ServiceErrorCode,
): Promise<ServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceError);
  expect((error as ServiceError).code).toBe(code);
  return error as ServiceError;
}

/**
 * Behaves like KMS at the SDK boundary: GenerateDataKey returns a random key and an opaque blob, and
 * Decrypt maps the blob back only under the same KeyId and encryption context.
 */
export function installFakeKms(kms: AwsClientStub<KMSClient>) {
  const issued = new Map<string, Uint8Array>();
  kms.on(GenerateDataKeyCommand).callsFake(async (input: GenerateDataKeyCommandInput) => {
    await new Promise((resolve) => setImmediate(resolve)); // a real round trip lets callers overlap
    const plaintext = new Uint8Array(randomBytes(32));
    const wrapped = new Uint8Array(randomBytes(184));
    issued.set(Buffer.from(wrapped).toString('hex'), plaintext.slice());
    return { Plaintext: plaintext, CiphertextBlob: wrapped, KeyId: input.KeyId };
  });
  const decrypt = async (input: DecryptCommandInput) => {
    await new Promise((resolve) => setImmediate(resolve));
    const key = issued.get(Buffer.from(input.CiphertextBlob ?? []).toString('hex'));
    if (input.KeyId !== KEY_ARN) throw new IncorrectKeyException({ message: 'incorrect key', $metadata: {} });
    if (key === undefined || !isDeepStrictEqual(input.EncryptionContext, { ...KMS_ENCRYPTION_CONTEXT })) {
      throw new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
    }
    return { Plaintext: key.slice(), KeyId: input.KeyId };
  };
  kms.on(DecryptCommand).callsFake(decrypt);
  return { issued, decrypt };
}

/** An in-memory DataKeyProvider that counts calls and can be told to fail. */
export class FakeDataKeyProvider implements DataKeyProvider {
  readonly providerId = KEY_PROVIDER.local;
  generated = 0;
  unwrapped = 0;
  /** Every plaintext buffer handed to the keyring (which then owns and wipes it). */
  readonly handedOut: Uint8Array[] = [];
  readonly failures: Error[] = [];
  /** When set, unwraps wait for it, so a test can make several finish in the same tick. */
  unwrapGate: Promise<void> | undefined;
  private readonly keys = new Map<string, Uint8Array>();

  async generateDataKey(): Promise<DataKey> {
    this.generated += 1;
    await new Promise((resolve) => setImmediate(resolve));
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const plaintext = new Uint8Array(randomBytes(32));
    const wrapped = new Uint8Array(randomBytes(16));
    this.keys.set(Buffer.from(wrapped).toString('hex'), plaintext.slice());
    this.handedOut.push(plaintext);
    return { plaintext, wrapped };
  }

  async unwrapDataKey(wrapped: Uint8Array): Promise<Uint8Array> {
    this.unwrapped += 1;
    await (this.unwrapGate ?? new Promise((resolve) => setImmediate(resolve)));
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    const key = this.keys.get(Buffer.from(wrapped).toString('hex'));
    if (key === undefined) throw new ServiceError('decrypt_failed', 'unknown wrapped key');
    const copy = key.slice();
    this.handedOut.push(copy);
    return copy;
  }
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number): void => {
      now += ms;
    },
  };
}
