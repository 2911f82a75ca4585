/**
 * Data-key cache behind {@link EnvelopeKeyring}. It works like the caching CMM of the AWS Encryption
 * SDK:
 * - Encryption reuses one data key until it reaches `maxAgeMs` or `maxUses`. Concurrent callers
 *   share one generate promise.
 * - Decryption keeps unwrapped keys in an LRU keyed by the wrapped bytes. Concurrent misses for the
 *   same wrapped key share one unwrap promise. A failed unwrap is not cached.
 * - Each generated key also goes into the decryption LRU, so a warm instance reads back what it
 *   wrote without a call to the key provider.
 *
 * Wiping is best effort. A replaced or evicted key is overwritten with zeros. Copies made by the
 * provider (SDK buffers, OpenSSL contexts) and by the garbage collector are out of reach.
 *
 * Because of wiping, callers must use a key synchronously and never across an `await`:
 * {@link DataKeyCache.withEncryptionKey} and {@link DataKeyCache.withDecryptionKey} run `use`
 * before anything else can evict that key.
 */
import { ServiceError } from '../errors';

export interface DataKey {
  /** 32 bytes, owned by the cache from now on (it will be wiped). */
  readonly plaintext: Uint8Array;
  readonly wrapped: Uint8Array;
}

export interface DataKeyCacheOptions {
  /** How long a data key is used for encryption and kept for decryption. @default 300_000 (5 min) */
  readonly maxAgeMs?: number;
  /** Encryptions per data key before a new one is generated. @default 10_000 */
  readonly maxUses?: number;
  /** Unwrapped data keys kept for decryption (LRU). @default 1_000 */
  readonly maxEntries?: number;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

interface Entry {
  readonly key: Uint8Array;
  readonly createdAt: number;
  uses: number;
  wiped: boolean;
}

// Random 96-bit IVs stay safe to about 2^32 messages per key (NIST SP 800-38D §8.3).
const MAX_USES_LIMIT = 2 ** 32;
// Retries when a key is evicted between its unwrap and its use. This only happens under heavy churn
// of a very small cache.
const MAX_ATTEMPTS = 3;

export class DataKeyCache {
  private readonly maxAgeMs: number;
  private readonly maxUses: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private current: (Entry & { readonly wrapped: Uint8Array }) | undefined;
  private generating: Promise<Entry> | undefined;
  /** Map iteration order is insertion order: the first entry is the least recently used. */
  private readonly unwrapped = new Map<string, Entry>();
  private readonly unwrapping = new Map<string, Promise<Entry>>();

  constructor(options: DataKeyCacheOptions = {}) {
    this.maxAgeMs = options.maxAgeMs ?? 300_000;
    this.maxUses = options.maxUses ?? 10_000;
    this.maxEntries = options.maxEntries ?? 1_000;
    this.now = options.now ?? Date.now;
    const problems = [
      positiveInteger('maxAgeMs', this.maxAgeMs, Number.MAX_SAFE_INTEGER),
      positiveInteger('maxUses', this.maxUses, MAX_USES_LIMIT),
      positiveInteger('maxEntries', this.maxEntries, Number.MAX_SAFE_INTEGER),
    ].filter((p) => p !== undefined);
    if (problems.length > 0) {
      throw new ServiceError('config_invalid', `invalid keyring cache options: ${problems.join('; ')}`);
    }
  }

  /** Run `use` with the current encryption key, generating one first if none is usable. */
  async withEncryptionKey<T>(
    generate: () => Promise<DataKey>,
    use: (key: Uint8Array, wrapped: Uint8Array) => T,
  ): Promise<T> {
    for (;;) {
      const current = this.current;
      if (current !== undefined && this.isFresh(current) && current.uses < this.maxUses) {
        current.uses += 1;
        return use(current.key, current.wrapped);
      }
      this.generating ??= this.generate(generate);
      const fresh = await this.generating;
      // Waiters on the generate promise may use the new key even if the clock has passed its maxAge
      // (relevant only for a tiny maxAgeMs), so that they never wait forever.
      if (this.current === fresh && fresh.uses < this.maxUses) {
        fresh.uses += 1;
        return use(this.current.key, this.current.wrapped);
      }
    }
  }

  /** Run `use` with the unwrapped data key of `wrapped`, unwrapping it on a miss. */
  async withDecryptionKey<T>(
    wrapped: Uint8Array,
    unwrap: (wrapped: Uint8Array) => Promise<Uint8Array>,
    use: (key: Uint8Array) => T,
  ): Promise<T> {
    const id = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength).toString('base64');
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt += 1) {
      const hit = this.lookup(id);
      if (hit !== undefined) return use(hit.key);
      let pending = this.unwrapping.get(id);
      if (pending === undefined) {
        pending = this.unwrap(id, wrapped.slice(), unwrap);
        this.unwrapping.set(id, pending);
      }
      const entry = await pending;
      if (!entry.wiped) return use(entry.key);
    }
    throw new ServiceError('keyring_unavailable', 'data key cache is thrashing; raise maxEntries');
  }

  /** Wipe every cached key (e.g. on shutdown). */
  clear(): void {
    if (this.current !== undefined) wipe(this.current);
    this.current = undefined;
    for (const entry of this.unwrapped.values()) wipe(entry);
    this.unwrapped.clear();
  }

  private async generate(generate: () => Promise<DataKey>): Promise<Entry> {
    try {
      // Called through a resolved promise so that even a synchronous throw settles after
      // `this.generating` is assigned, and the `finally` below clears it.
      const { plaintext, wrapped } = await Promise.resolve().then(generate);
      const entry = {
        key: plaintext,
        wrapped: wrapped.slice(),
        createdAt: this.now(),
        uses: 0,
        wiped: false,
      };
      if (this.current !== undefined) wipe(this.current);
      this.current = entry;
      // The decryption cache gets its own copy: each cache wipes its copy when it drops the key.
      const id = Buffer.from(entry.wrapped).toString('base64');
      this.remember(id, { key: plaintext.slice(), createdAt: entry.createdAt, uses: 0, wiped: false });
      return entry;
    } finally {
      this.generating = undefined;
    }
  }

  private async unwrap(
    id: string,
    wrapped: Uint8Array,
    unwrap: (wrapped: Uint8Array) => Promise<Uint8Array>,
  ): Promise<Entry> {
    try {
      const key = await Promise.resolve().then(() => unwrap(wrapped)); // see generate()
      const entry = { key, createdAt: this.now(), uses: 0, wiped: false };
      this.remember(id, entry);
      return entry;
    } finally {
      this.unwrapping.delete(id);
    }
  }

  private lookup(id: string): Entry | undefined {
    const entry = this.unwrapped.get(id);
    if (entry === undefined) return undefined;
    this.unwrapped.delete(id);
    if (!this.isFresh(entry)) {
      wipe(entry);
      return undefined;
    }
    this.unwrapped.set(id, entry); // mark most recently used
    return entry;
  }

  private remember(id: string, entry: Entry): void {
    const previous = this.unwrapped.get(id);
    if (previous !== undefined) wipe(previous);
    this.unwrapped.delete(id);
    this.unwrapped.set(id, entry);
    // Expired entries are dropped lazily, on lookup or once they become least recently used.
    while (this.unwrapped.size > this.maxEntries) {
      const [oldest, evicted] = this.unwrapped.entries().next().value as [string, Entry];
      this.unwrapped.delete(oldest);
      wipe(evicted);
    }
  }

  private isFresh(entry: Entry): boolean {
    return !entry.wiped && this.now() - entry.createdAt < this.maxAgeMs;
  }
}

function wipe(entry: Entry): void {
  entry.key.fill(0);
  entry.wiped = true;
}

function positiveInteger(name: string, value: number, max: number): string | undefined {
  return Number.isInteger(value) && value >= 1 && value <= max
    ? undefined
    : `${name} must be an integer in 1..${max}`;
}
