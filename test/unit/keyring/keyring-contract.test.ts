import { randomBytes } from 'node:crypto';
import { GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKmsKeyring } from '../../../shared/adapters/aws/kms';
import { createLocalKeyring } from '../../../shared/adapters/local/keyring';
import type { Keyring } from '../../../shared/ports/keyring';
import {
  aContext,
  envelopeLayout,
  expectServiceError,
  flipByte,
  installFakeKms,
  KEY_ARN,
  utf8,
} from './fixtures';

const kms = mockClient(KMSClient);
const masterKey = new Uint8Array(randomBytes(32));

const makeLocal = (): Keyring => createLocalKeyring(masterKey);
const makeKms = (): Keyring => createKmsKeyring(new KMSClient({ region: 'eu-west-1' }), KEY_ARN);
const adapters = [
  { name: 'local keyring', make: makeLocal },
  { name: 'KMS keyring', make: makeKms },
];

beforeEach(() => {
  kms.reset();
  installFakeKms(kms);
});

describe.each(adapters)('$name', ({ make }) => {
  const secret = utf8('1//0refresh-token-of-connection-a');

  describe('round trip', () => {
    it('decrypts what it encrypted under the same context', async () => {
      // Prepare
      const keyring = make();
      // Act
      const ciphertext = await keyring.encrypt(secret, aContext());
      const plaintext = await keyring.decrypt(ciphertext, aContext());
      // Assess
      expect(plaintext).toEqual(secret);
      expect(Buffer.from(ciphertext).includes(Buffer.from(secret))).toBe(false);
    });

    it('seals with a prepared sealer, later, without a call to the key service', async () => {
      const keyring = make();
      const sealer = await keyring.prepareSeal(aContext());
      // From here on the key service throttles data-key requests: the seal must not need one.
      kms.on(GenerateDataKeyCommand).rejects(new Error('ThrottlingException'));
      const ciphertext = sealer.seal(secret);
      expect(await make().decrypt(ciphertext, aContext())).toEqual(secret);
      expect(() => sealer.seal(secret)).toThrow(/once/);
    });

    it('a disposed sealer seals nothing', async () => {
      const sealer = await make().prepareSeal(aContext());
      sealer.dispose();
      expect(() => sealer.seal(secret)).toThrow();
    });

    it('decrypts on a cold instance what another instance encrypted', async () => {
      const ciphertext = await make().encrypt(secret, aContext());

      const plaintext = await make().decrypt(ciphertext, aContext());

      expect(plaintext).toEqual(secret);
    });

    it('round-trips an empty secret', async () => {
      const keyring = make();

      const plaintext = await keyring.decrypt(
        await keyring.encrypt(new Uint8Array(), aContext()),
        aContext(),
      );

      expect(plaintext).toEqual(new Uint8Array());
    });

    it('produces a different ciphertext each time for the same secret', async () => {
      const keyring = make();

      const [first, second] = await Promise.all([
        keyring.encrypt(secret, aContext()),
        keyring.encrypt(secret, aContext()),
      ]);

      expect(first).not.toEqual(second);
    });
  });

  describe('tampering', () => {
    const fields: [string, (layout: ReturnType<typeof envelopeLayout>) => number][] = [
      ['version byte', (at) => at.version],
      ['key provider byte', (at) => at.provider],
      ['length prefix (high byte)', (at) => at.length],
      ['length prefix (low byte)', (at) => at.length + 1],
      ['wrapped data key', (at) => at.wrapped + 5],
      ['IV', (at) => at.iv],
      ['GCM tag', (at) => at.tag + 15],
      ['ciphertext', (at) => at.ciphertext + 3],
    ];

    it.each(fields)('rejects a flipped byte in the %s with decrypt_failed', async (_, offset) => {
      const keyring = make();
      const ciphertext = await keyring.encrypt(secret, aContext());
      const tampered = flipByte(ciphertext, offset(envelopeLayout(ciphertext)));

      await expectServiceError(keyring.decrypt(tampered, aContext()), 'decrypt_failed');
    });

    it('rejects a flipped byte anywhere in the envelope', async () => {
      const keyring = make();
      const ciphertext = await keyring.encrypt(secret, aContext());

      for (let index = 0; index < ciphertext.length; index += 1) {
        await expectServiceError(keyring.decrypt(flipByte(ciphertext, index), aContext()), 'decrypt_failed');
      }
    });
  });

  describe('context binding', () => {
    it.each([
      ['another connection', { connection_id: 'conn_b' }],
      ['another purpose', { purpose: 'connect_session' as const }],
      ['another integration', { integration_id: 'int_hubspot' }],
      ['the integration-level slot', { connection_id: '-', purpose: 'client_secret' as const }],
    ])('rejects decryption under %s', async (_, other) => {
      const keyring = make();
      const ciphertext = await keyring.encrypt(secret, aContext());

      await expectServiceError(keyring.decrypt(ciphertext, aContext(other)), 'decrypt_failed');
    });

    it("rejects connection A's ciphertext swapped into connection B's item", async () => {
      const keyring = make();
      const contextA = aContext({ connection_id: 'conn_a' });
      const contextB = aContext({ connection_id: 'conn_b' });
      const ciphertextA = await keyring.encrypt(utf8('token-a'), contextA);
      const ciphertextB = await keyring.encrypt(utf8('token-b'), contextB);

      await expectServiceError(keyring.decrypt(ciphertextA, contextB), 'decrypt_failed');
      expect(await keyring.decrypt(ciphertextB, contextB)).toEqual(utf8('token-b'));
    });
  });

  describe('malformed input', () => {
    it('rejects every truncation of a valid envelope with decrypt_failed', async () => {
      const keyring = make();
      const ciphertext = await keyring.encrypt(secret, aContext());

      for (let length = 0; length < ciphertext.length; length += 1) {
        await expectServiceError(
          keyring.decrypt(ciphertext.subarray(0, length), aContext()),
          'decrypt_failed',
        );
      }
    });

    it.each([
      ['empty input', new Uint8Array()],
      ['random bytes', new Uint8Array(randomBytes(200))],
      [
        'a v1 header with a wrapped key longer than the input',
        Uint8Array.from([0xe1, 1, 0xff, 0xff, 1, 2, 3]),
      ],
      ['a v1 header with an empty wrapped key', new Uint8Array([0xe1, 2, 0, 0, ...new Uint8Array(40)])],
      ['an unknown version', new Uint8Array([0x02, ...new Uint8Array(120)])],
      ['a string posing as bytes', 'not bytes' as unknown as Uint8Array],
    ])('rejects %s with decrypt_failed', async (_, garbage) => {
      await expectServiceError(make().decrypt(garbage, aContext()), 'decrypt_failed');
    });
  });
});

describe('keyrings of different key sources', () => {
  it('refuses a local envelope in the KMS keyring without calling KMS', async () => {
    const ciphertext = await makeLocal().encrypt(utf8('secret'), aContext());

    await expectServiceError(makeKms().decrypt(ciphertext, aContext()), 'decrypt_failed');

    expect(kms.calls()).toHaveLength(0);
  });

  it('cannot decrypt with another master key', async () => {
    const ciphertext = await makeLocal().encrypt(utf8('secret'), aContext());
    const other = createLocalKeyring(new Uint8Array(randomBytes(32)));

    await expectServiceError(other.decrypt(ciphertext, aContext()), 'decrypt_failed');
  });
});
