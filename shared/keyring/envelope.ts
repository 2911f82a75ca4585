/**
 * The envelope: the bytes stored for every encrypted secret, and the AES-256-GCM sealing both keyring
 * adapters share (KMS in AWS, a local master key in local mode).
 *
 * ```
 * offset  size  field
 * 0       1     magic/version  0xE1 ("envelope v1"; any other value is rejected)
 * 1       1     key provider   1 = KMS, 2 = local master key ({@link KEY_PROVIDER})
 * 2       2     n              length of the wrapped data key, big-endian, 1..65535
 * 4       n     wrapped data key, exactly as the key provider returned it
 * 4+n     12    IV (random per encryption)
 * 16+n    16    GCM tag
 * 32+n    *     ciphertext (same length as the plaintext)
 * ```
 *
 * The AAD is the header (bytes 0..4+n) followed by the canonical JSON of the
 * {@link EncryptionContext}. The context binds a ciphertext to its connection and purpose
 * (design.md invariant 8). The header is added so that every byte of the envelope is covered by the
 * tag, as the AWS Encryption SDK does. Without it, a changed header would still fail, but only
 * because the key lookup or unwrap goes wrong, which is a weaker guarantee.
 *
 * Every parse or authentication failure throws `ServiceError('decrypt_failed')`. The message
 * describes the structure only and never contains key or plaintext bytes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ServiceError } from '../errors';
import type { EncryptionContext } from '../ports/keyring';

export const ENVELOPE_V1 = 0xe1;
export const IV_BYTES = 12;
export const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;
const HEADER_FIXED_BYTES = 4;
const MAX_WRAPPED_BYTES = 0xffff;

/** Which key provider wrapped the data key. A keyring refuses envelopes from another provider. */
export const KEY_PROVIDER = { kms: 1, local: 2 } as const;
export type KeyProviderId = (typeof KEY_PROVIDER)[keyof typeof KEY_PROVIDER];

/** A parsed envelope. The fields are views into the input bytes, not copies. */
export interface Envelope {
  readonly providerId: number;
  readonly wrappedKey: Uint8Array;
  /** Bytes 0..4+n, authenticated as part of the AAD. */
  readonly header: Uint8Array;
  readonly iv: Uint8Array;
  readonly tag: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/**
 * Canonical serialization of the full context: JSON with the keys in sorted order and only the
 * three known fields. Extra runtime properties are ignored, so they cannot change the AAD.
 */
export function canonicalContext(context: EncryptionContext): Uint8Array {
  const { connection_id, integration_id, purpose } = context;
  return new TextEncoder().encode(JSON.stringify({ connection_id, integration_id, purpose }));
}

/** Seal `plaintext` under a 32-byte data key; returns the complete envelope. @throws `encrypt_failed` */
export function sealEnvelope(
  providerId: KeyProviderId,
  wrappedKey: Uint8Array,
  dataKey: Uint8Array,
  plaintext: Uint8Array,
  context: EncryptionContext,
): Uint8Array {
  if (wrappedKey.length === 0 || wrappedKey.length > MAX_WRAPPED_BYTES) {
    throw new ServiceError('encrypt_failed', 'wrapped data key length is out of range');
  }
  const header = new Uint8Array(HEADER_FIXED_BYTES + wrappedKey.length);
  header[0] = ENVELOPE_V1;
  header[1] = providerId;
  new DataView(header.buffer).setUint16(2, wrappedKey.length);
  header.set(wrappedKey, HEADER_FIXED_BYTES);

  const sealed = gcmSeal(dataKey, plaintext, concat(header, canonicalContext(context)));
  return concat(header, sealed);
}

/** Split an envelope into its fields. @throws `decrypt_failed` when the bytes are not a v1 envelope */
export function parseEnvelope(bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array) || bytes.length < HEADER_FIXED_BYTES) {
    throw malformed('too short for an envelope header');
  }
  if (bytes[0] !== ENVELOPE_V1) throw malformed('unknown envelope version');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(2);
  if (n === 0) throw malformed('empty wrapped data key');
  const ivAt = HEADER_FIXED_BYTES + n;
  if (bytes.length < ivAt + IV_BYTES + TAG_BYTES) throw malformed('truncated');
  return {
    providerId: bytes[1] as number,
    wrappedKey: bytes.subarray(HEADER_FIXED_BYTES, ivAt),
    header: bytes.subarray(0, ivAt),
    iv: bytes.subarray(ivAt, ivAt + IV_BYTES),
    tag: bytes.subarray(ivAt + IV_BYTES, ivAt + IV_BYTES + TAG_BYTES),
    ciphertext: bytes.subarray(ivAt + IV_BYTES + TAG_BYTES),
  };
}

/** Authenticate and decrypt a parsed envelope. @throws `decrypt_failed` on a bad tag or wrong context */
export function openEnvelope(
  envelope: Envelope,
  dataKey: Uint8Array,
  context: EncryptionContext,
): Uint8Array {
  const aad = concat(envelope.header, canonicalContext(context));
  return gcmOpen(dataKey, envelope.iv, envelope.tag, envelope.ciphertext, aad);
}

/**
 * AES-256-GCM with a random 96-bit IV. Returns `iv ‖ tag ‖ ciphertext`. Also used by the local
 * provider to wrap data keys under its master key.
 * @throws `encrypt_failed`
 */
export function gcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  try {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad);
    const body = concat(cipher.update(plaintext), cipher.final());
    return concat(concat(iv, cipher.getAuthTag()), body);
  } catch {
    // The crypto error is dropped on purpose: nothing in it helps, and keys must stay out of errors.
    throw new ServiceError('encrypt_failed', 'AES-256-GCM encryption failed');
  }
}

/** Inverse of the sealing step, with the IV, tag and ciphertext given separately. @throws `decrypt_failed` */
export function gcmOpen(
  key: Uint8Array,
  iv: Uint8Array,
  tag: Uint8Array,
  ciphertext: Uint8Array,
  aad: Uint8Array,
): Uint8Array {
  if (key.length !== DATA_KEY_BYTES || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    throw malformed('bad key, IV or tag length');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return concat(decipher.update(ciphertext), decipher.final());
  } catch {
    throw new ServiceError(
      'decrypt_failed',
      'ciphertext failed authentication (tampered, wrong encryption context, or wrong key)',
    );
  }
}

/** Split `iv ‖ tag ‖ ciphertext` (the {@link gcmSeal} output). @throws `decrypt_failed` */
export function splitSealed(sealed: Uint8Array): { iv: Uint8Array; tag: Uint8Array; ciphertext: Uint8Array } {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw malformed('truncated');
  return {
    iv: sealed.subarray(0, IV_BYTES),
    tag: sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES),
    ciphertext: sealed.subarray(IV_BYTES + TAG_BYTES),
  };
}

/** Fresh, unpooled bytes, unlike `Buffer.concat`, so wiping or returning them affects nothing else. */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function malformed(problem: string): ServiceError {
  return new ServiceError('decrypt_failed', `malformed envelope: ${problem}`);
}
