import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../../shared/errors';
import { EnvelopeKeyring } from '../../../shared/keyring/envelope-keyring';
import { aContext, expectServiceError, FakeDataKeyProvider, manualClock, utf8 } from './fixtures';

const secret = utf8('access-and-refresh-tokens');
const isWiped = (key: Uint8Array) => key.every((byte) => byte === 0);

describe('EnvelopeKeyring data key cache', () => {
  describe('encryption', () => {
    it('reuses one data key for maxUses encryptions, then generates a new one', async () => {
      // Prepare
      const provider = new FakeDataKeyProvider();
      const keyring = new EnvelopeKeyring(provider, { maxUses: 3 });
      // Act
      for (let i = 0; i < 7; i += 1) await keyring.encrypt(secret, aContext({ connection_id: `conn_${i}` }));
      // Assess
      expect(provider.generated).toBe(3);
    });

    it('generates a new data key once maxAgeMs has passed', async () => {
      const clock = manualClock();
      const provider = new FakeDataKeyProvider();
      const keyring = new EnvelopeKeyring(provider, { maxAgeMs: 60_000, now: clock.now });
      await keyring.encrypt(secret, aContext());

      clock.advance(59_999);
      await keyring.encrypt(secret, aContext());
      const beforeExpiry = provider.generated;
      clock.advance(1);
      await keyring.encrypt(secret, aContext());

      expect(beforeExpiry).toBe(1);
      expect(provider.generated).toBe(2);
    });

    it('shares one generate call among concurrent cold callers and still honours maxUses', async () => {
      const provider = new FakeDataKeyProvider();
      const keyring = new EnvelopeKeyring(provider, { maxUses: 3 });

      const ciphertexts = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          keyring.encrypt(secret, aContext({ connection_id: `conn_${i}` })),
        ),
      );

      expect(provider.generated).toBe(4);
      for (const [i, ciphertext] of ciphertexts.entries()) {
        expect(await keyring.decrypt(ciphertext, aContext({ connection_id: `conn_${i}` }))).toEqual(secret);
      }
    });

    it('does not cache a failed generate: the next encryption tries again', async () => {
      const provider = new FakeDataKeyProvider();
      provider.failures.push(new ServiceError('keyring_unavailable', 'throttled'));
      const keyring = new EnvelopeKeyring(provider);

      await expectServiceError(keyring.encrypt(secret, aContext()), 'keyring_unavailable');
      const ciphertext = await keyring.encrypt(secret, aContext());

      expect(provider.generated).toBe(2);
      expect(await keyring.decrypt(ciphertext, aContext())).toEqual(secret);
    });

    it('wipes a data key once it is replaced for encryption', async () => {
      const provider = new FakeDataKeyProvider();
      const keyring = new EnvelopeKeyring(provider, { maxUses: 1 });

      await keyring.encrypt(secret, aContext());
      await keyring.encrypt(secret, aContext());

      expect(provider.handedOut.map(isWiped)).toEqual([true, false]);
    });
  });

  describe('decryption', () => {
    it('decrypts its own ciphertexts without unwrapping (generated keys go into the decryption cache)', async () => {
      const provider = new FakeDataKeyProvider();
      const keyring = new EnvelopeKeyring(provider);
      const ciphertext = await keyring.encrypt(secret, aContext());

      await keyring.decrypt(ciphertext, aContext());

      expect(provider.unwrapped).toBe(0);
    });

    it('shares one unwrap among concurrent misses for the same data key', async () => {
      const provider = new FakeDataKeyProvider();
      const writer = new EnvelopeKeyring(provider);
      const ciphertext = await writer.encrypt(secret, aContext());
      const reader = new EnvelopeKeyring(provider);

      await Promise.all(Array.from({ length: 20 }, () => reader.decrypt(ciphertext, aContext())));

      expect(provider.unwrapped).toBe(1);
    });

    it('does not cache a failed unwrap: the next decryption tries again', async () => {
      const provider = new FakeDataKeyProvider();
      const ciphertext = await new EnvelopeKeyring(provider).encrypt(secret, aContext());
      const reader = new EnvelopeKeyring(provider);
      provider.failures.push(new ServiceError('keyring_unavailable', 'throttled'));

      await expectServiceError(reader.decrypt(ciphertext, aContext()), 'keyring_unavailable');
      const plaintext = await reader.decrypt(ciphertext, aContext());

      expect(plaintext).toEqual(secret);
      expect(provider.unwrapped).toBe(2);
    });

    it('unwraps again once a cached data key is older than maxAgeMs', async () => {
      const clock = manualClock();
      const provider = new FakeDataKeyProvider();
      const ciphertext = await new EnvelopeKeyring(provider).encrypt(secret, aContext());
      const reader = new EnvelopeKeyring(provider, { maxAgeMs: 1_000, now: clock.now });
      await reader.decrypt(ciphertext, aContext());

      clock.advance(1_000);
      await reader.decrypt(ciphertext, aContext());

      expect(provider.unwrapped).toBe(2);
      expect(isWiped(provider.handedOut[1] as Uint8Array)).toBe(true);
    });

    it('keeps at most maxEntries data keys, evicting and wiping the least recently used', async () => {
      const provider = new FakeDataKeyProvider();
      const writer = new EnvelopeKeyring(provider, { maxUses: 1 });
      const [first, second, third] = [
        await writer.encrypt(utf8('1'), aContext()),
        await writer.encrypt(utf8('2'), aContext()),
        await writer.encrypt(utf8('3'), aContext()),
      ] as [Uint8Array, Uint8Array, Uint8Array];
      const reader = new EnvelopeKeyring(provider, { maxEntries: 2 });
      await reader.decrypt(first, aContext());
      await reader.decrypt(second, aContext());
      await reader.decrypt(first, aContext()); // first is now the most recently used

      await reader.decrypt(third, aContext()); // evicts second
      const unwrapsBefore = provider.unwrapped;
      await reader.decrypt(first, aContext());
      await reader.decrypt(third, aContext());

      expect(unwrapsBefore).toBe(3);
      expect(provider.unwrapped).toBe(3);
      const [firstKey, secondKey, thirdKey] = provider.handedOut.slice(3);
      expect([firstKey, secondKey, thirdKey].map((key) => isWiped(key as Uint8Array))).toEqual([
        false,
        true,
        false,
      ]);
    });

    it('never decrypts with a key wiped by an eviction while callers were waiting for it', async () => {
      const provider = new FakeDataKeyProvider();
      const writer = new EnvelopeKeyring(provider, { maxUses: 1 });
      const ciphertexts: Uint8Array[] = [];
      for (let i = 0; i < 3; i += 1) ciphertexts.push(await writer.encrypt(secret, aContext()));
      const reader = new EnvelopeKeyring(provider, { maxEntries: 1 });
      let open = () => {};
      provider.unwrapGate = new Promise((resolve) => {
        open = resolve;
      });

      const pending = Array.from({ length: 30 }, (_, i) =>
        reader.decrypt(ciphertexts[i % 3] as Uint8Array, aContext()),
      );
      await new Promise((resolve) => setImmediate(resolve));
      open(); // all three unwraps complete in the same tick, each evicting the one before
      const results = await Promise.allSettled(pending);

      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    });

    it('wipes every cached key on clear()', async () => {
      const provider = new FakeDataKeyProvider();
      const keyring = new EnvelopeKeyring(provider);
      const ciphertext = await keyring.encrypt(secret, aContext());

      keyring.clear();

      expect(provider.handedOut.every(isWiped)).toBe(true);
      expect(await keyring.decrypt(ciphertext, aContext())).toEqual(secret);
      expect(provider.unwrapped).toBe(1);
    });
  });

  describe('options', () => {
    it.each([
      [{ maxUses: 0 }, 'maxUses'],
      [{ maxUses: 2 ** 32 + 1 }, 'maxUses'],
      [{ maxAgeMs: -1 }, 'maxAgeMs'],
      [{ maxEntries: 1.5 }, 'maxEntries'],
    ])('rejects %o with config_invalid naming %s', (options, name) => {
      const create = () => new EnvelopeKeyring(new FakeDataKeyProvider(), options);

      expect(create).toThrow(ServiceError);
      expect(create).toThrow(name);
    });
  });
});
