// A keyring whose key service can be made to fail on demand, as KMS does under throttling: the
// local envelope keyring (the same data-key cache and envelope code as production) over a data-key
// provider that throws `keyring_unavailable` for the next N GenerateDataKey / Decrypt calls.

import { LocalDataKeyProvider } from '../../shared/adapters/local/keyring';
import { ServiceError } from '../../shared/errors';
import type { DataKey } from '../../shared/keyring/data-key-cache';
import { type DataKeyProvider, EnvelopeKeyring } from '../../shared/keyring/envelope-keyring';

export class FaultyDataKeyProvider implements DataKeyProvider {
  readonly providerId: DataKeyProvider['providerId'];
  /** Calls that reached the key service, by operation. */
  readonly calls = { generate: 0, unwrap: 0 };
  /** Faults that fired. */
  fired = 0;
  failGenerate = 0;
  failUnwrap = 0;

  constructor(private readonly inner: LocalDataKeyProvider) {
    this.providerId = inner.providerId;
  }

  async generateDataKey(): Promise<DataKey> {
    this.calls.generate += 1;
    if (this.failGenerate > 0) {
      this.failGenerate -= 1;
      this.fired += 1;
      throw new ServiceError('keyring_unavailable', 'GenerateDataKey throttled (injected)');
    }
    return this.inner.generateDataKey();
  }

  async unwrapDataKey(wrapped: Uint8Array): Promise<Uint8Array> {
    this.calls.unwrap += 1;
    if (this.failUnwrap > 0) {
      this.failUnwrap -= 1;
      this.fired += 1;
      throw new ServiceError('keyring_unavailable', 'Decrypt throttled (injected)');
    }
    return this.inner.unwrapDataKey(wrapped);
  }
}

/** A fresh keyring (cold cache) over a shared master key, with its fault switch. */
export function createFaultyKeyring(
  masterKey: Uint8Array,
  options: { now: () => number; maxAgeMs?: number },
): { keyring: EnvelopeKeyring; keyService: FaultyDataKeyProvider } {
  const keyService = new FaultyDataKeyProvider(new LocalDataKeyProvider(masterKey));
  const keyring = new EnvelopeKeyring(keyService, {
    now: options.now,
    ...(options.maxAgeMs === undefined ? {} : { maxAgeMs: options.maxAgeMs }),
  });
  return { keyring, keyService };
}
