import { createHmac, randomBytes } from 'node:crypto';
import { ServiceError } from '../errors';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com, "Signature scheme"): the signature
 * is `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), keyed with the base64-decoded
 * part of a `whsec_...` secret. Written with node:crypto rather than the `standardwebhooks` package
 * so the tests, which verify with that package, are an independent cross-check.
 */

const PREFIX = 'whsec_';
/** The spec asks for keys of 24 to 64 bytes (192–512 bits). */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes a `whsec_<base64>` signing secret into its HMAC key.
 * @throws ServiceError `config_invalid` when the prefix, the base64 or the key length is wrong.
 *   The message never contains the value.
 */
export function parseWebhookSecret(secret: string): Uint8Array {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : null;
  if (encoded === null || encoded === '' || !BASE64.test(encoded)) {
    throw new ServiceError('config_invalid', 'webhook secret must look like whsec_<base64>');
  }
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
    throw new ServiceError(
      'config_invalid',
      `webhook secret must decode to ${MIN_KEY_BYTES}–${MAX_KEY_BYTES} bytes (got ${key.length})`,
    );
  }
  return new Uint8Array(key);
}

/** A new signing secret: `whsec_` + base64 of 24 random bytes (the spec's minimum key size). */
export function generateWebhookSecret(): string {
  return PREFIX + randomBytes(MIN_KEY_BYTES).toString('base64');
}

/** What one delivery attempt signs. */
export interface SignedContent {
  /** The event id, the same across retries (receivers de-duplicate on it). */
  readonly id: string;
  /** Unix seconds of this attempt (receivers reject stale timestamps to stop replays). */
  readonly timestamp: number;
  /** The exact bytes sent as the request body. */
  readonly body: string;
}

/**
 * One HMAC key, or several during a secret rotation (current first, then the previous one): each
 * key adds its own signature, so receivers holding either secret verify the delivery.
 */
export type WebhookSigningKeys = Uint8Array | readonly Uint8Array[];

/**
 * Signs one attempt: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">` per key, separated by
 * spaces (Standard Webhooks lets a signature header carry several).
 * @throws RangeError when `timestamp` is not a non-negative integer or no key is given (a caller bug).
 */
export function signWebhook(content: SignedContent, keys: WebhookSigningKeys): string {
  if (!Number.isSafeInteger(content.timestamp) || content.timestamp < 0) {
    throw new RangeError('webhook timestamp must be whole unix seconds');
  }
  const list: readonly Uint8Array[] = keys instanceof Uint8Array ? [keys] : keys;
  if (list.length === 0) throw new RangeError('at least one webhook signing key is needed');
  return list
    .map(
      (key) =>
        `v1,${createHmac('sha256', key).update(`${content.id}.${content.timestamp}.${content.body}`, 'utf8').digest('base64')}`,
    )
    .join(' ');
}

/** The request headers of one delivery attempt (the signature is a credential: never log them). */
export interface WebhookHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
  readonly 'content-type': 'application/json';
  readonly 'user-agent': string;
  readonly [name: string]: string;
}

/** Builds the Standard Webhooks headers for one attempt. @throws RangeError like {@link signWebhook}. */
export function webhookHeaders(content: SignedContent, key: WebhookSigningKeys): WebhookHeaders {
  return {
    'webhook-id': content.id,
    'webhook-timestamp': String(content.timestamp),
    'webhook-signature': signWebhook(content, key),
    'content-type': 'application/json',
    'user-agent': 'oauth-refresher-webhooks/1',
  };
}
