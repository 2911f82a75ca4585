import type { OutboxEvent } from '../domain/events';
import { isServiceError } from '../errors';
import { assertUrlAllowed } from '../policy/ssrf';
import { type HttpTransport, HttpTransportError } from '../ports/http';
import { type WebhookSigningKeys, webhookHeaders } from './signing';

/** Why an attempt failed; each is retried on the queue's schedule (see ./retry). */
export type DeliveryFailureReason = 'http_status' | 'timeout' | 'network' | 'redirect' | 'url_not_allowed';

/** The outcome of one attempt: a value, never an exception, for anything the receiver or network does. */
export type DeliveryResult =
  | { readonly ok: true; readonly status: number }
  | {
      readonly ok: false;
      /** The receiver's HTTP status, or null when no answer arrived. */
      readonly status: number | null;
      readonly reason: DeliveryFailureReason;
      /** A classification for logs (an error code such as `ECONNREFUSED`); never a URL or secret. */
      readonly detail?: string;
    };

export interface DeliverWebhookInput {
  /** Destination (the integration's `webhook_url` or the default `WEBHOOK_URL`). */
  readonly url: string;
  readonly event: OutboxEvent;
  /** HMAC key from `parseWebhookSecret` (./signing). */
  readonly key: WebhookSigningKeys;
  /** Epoch ms of this attempt; becomes `webhook-timestamp` (seconds). */
  readonly now: number;
  /** A `createHttpTransport` (../net/http): unless told otherwise it refuses private addresses at connect time. */
  readonly transport: HttpTransport;
  /** `ALLOW_PRIVATE_URLS`: permit http: and loopback/private destinations. */
  readonly allowPrivateUrls: boolean;
  /** Deadline for connecting, sending and the answer (its first {@link MAX_DRAIN_BYTES} bytes). @default 15000 */
  readonly timeoutMs?: number;
}

/** Bytes of the receiver's answer read before dropping the rest: it is never used. */
const MAX_DRAIN_BYTES = 4_096;

/**
 * Sends one event per Standard Webhooks: POSTs exactly `JSON.stringify(event.body)` signed with a
 * fresh timestamp and the event id as `webhook-id` (stable across retries). Any 2xx is delivered.
 * Redirects are not followed (api.md): a 3xx is a `redirect` failure, so no hop can lead past the
 * SSRF guard (reliability.md promise 14). The URL is checked statically, and the transport checks
 * every resolved address at connect time. Resolves, never rejects, for network or receiver faults.
 */
export async function deliverWebhook(input: DeliverWebhookInput): Promise<DeliveryResult> {
  try {
    assertUrlAllowed(input.url, { allowPrivate: input.allowPrivateUrls });
  } catch (error) {
    if (!isServiceError(error)) throw error;
    return { ok: false, status: null, reason: 'url_not_allowed', detail: error.code };
  }
  const body = JSON.stringify(input.event.body);
  const headers = webhookHeaders(
    { id: input.event.id, timestamp: Math.floor(input.now / 1_000), body },
    input.key,
  );
  const signal = AbortSignal.timeout(input.timeoutMs ?? 15_000);
  let status: number;
  try {
    // Reading a little lets a small answer complete so the connection can be reused; a large or
    // endless one is cut off (bodyText null). Either way the status alone decides.
    const response = await input.transport.request(input.url, {
      method: 'POST',
      headers,
      body,
      signal,
      maxResponseBytes: MAX_DRAIN_BYTES,
    });
    status = response.status;
  } catch (error) {
    // The answer's status already arrived; a broken or timed-out body does not change it.
    if (error instanceof HttpTransportError && error.status !== null) status = error.status;
    else return classifyError(error, signal.aborted);
  }
  if (status >= 200 && status < 300) return { ok: true, status };
  return { ok: false, status, reason: status >= 300 && status < 400 ? 'redirect' : 'http_status' };
}

function classifyError(error: unknown, timedOut: boolean): DeliveryResult {
  const refusal = findInChain(error, (e) => isServiceError(e, 'url_not_allowed'));
  if (refusal !== undefined)
    return { ok: false, status: null, reason: 'url_not_allowed', detail: 'connect_refused' };
  if (timedOut) return { ok: false, status: null, reason: 'timeout' };
  const coded = findInChain(error, (e) => typeof (e as { code?: unknown }).code === 'string');
  const code = (coded as { code?: string } | undefined)?.code;
  return { ok: false, status: null, reason: 'network', ...(code === undefined ? {} : { detail: code }) };
}

/** Depth-first search of the `cause` chain and AggregateError members (Happy Eyeballs nests connect errors). */
function findInChain(error: unknown, match: (e: object) => boolean, depth = 0): object | undefined {
  if (depth > 8 || typeof error !== 'object' || error === null) return undefined;
  if (match(error)) return error;
  if ('errors' in error && Array.isArray(error.errors)) {
    for (const inner of error.errors) {
      const found = findInChain(inner, match, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return 'cause' in error ? findInChain(error.cause, match, depth + 1) : undefined;
}
