/** The outbound HTTP port: what provider calls and webhook deliveries need of a transport (adapter: shared/adapters/http/transport.ts). */

/**
 * Where a request got to, as the transport reports it through `onState`: `idle` (not handed to an
 * agent yet), `connecting` (created; queued, resolving, connecting or in the TLS handshake, so
 * nothing written yet), `sent` (it has a connected socket, TLS established, and the request is
 * being written: the receiver may have processed it). A reused keep-alive socket is `sent` as soon
 * as it is assigned.
 */
export type SendState = 'idle' | 'connecting' | 'sent';

/** `code` of the error a socket is destroyed with when it has not connected (TLS included) in time. */
export const CONNECT_TIMEOUT_CODE = 'ETIMEDOUT_CONNECT';

export interface HttpRequestInit {
  readonly method: string;
  /** Sent as given. May hold secrets: never logged here. */
  readonly headers: Readonly<Record<string, string>>;
  /** Sent in one piece with a `content-length` (Node computes it when `end` gets the whole body). */
  readonly body?: string;
  /** Deadline for the whole exchange, body included. */
  readonly signal: AbortSignal;
  /** Larger bodies are cut off (the connection is dropped) and reported as `bodyText: null`. */
  readonly maxResponseBytes: number;
  /** Called with `connecting`, then `sent` (see {@link SendState}). */
  readonly onState?: (state: SendState) => void;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The body decoded as UTF-8, or null when it exceeded `maxResponseBytes`. */
  readonly bodyText: string | null;
}

export interface HttpTransport {
  /**
   * Sends one request; never follows a redirect (a 3xx is returned like any other status).
   * @throws HttpTransportError when no complete answer arrived; the underlying error (a Node
   *   network error with its `code`, a `url_not_allowed` ServiceError, or an `ABORT_ERR` when
   *   `signal` fired) is its `cause`.
   */
  request(url: string, init: HttpRequestInit): Promise<HttpResponse>;
  /** Destroys pooled and in-use sockets (tests; a Lambda just keeps its transport). */
  close(): void;
}

/** A request failed. Its message holds an error code only, never a URL, header or body. */
export class HttpTransportError extends Error {
  /** The answer's status when it failed while reading the body, else null (no answer arrived). */
  readonly status: number | null;

  constructor(cause: unknown, status: number | null) {
    const phase = status === null ? 'request' : `response body (HTTP ${status})`;
    super(`HTTP ${phase} failed (${codeOf(cause)})`, { cause });
    this.name = 'HttpTransportError';
    this.status = status;
  }
}

function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown';
  if ('code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.name : 'unknown';
}
