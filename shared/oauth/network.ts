import { isServiceError, type ServiceError } from '../errors';
import { CONNECT_TIMEOUT_CODE, type SendState } from '../ports/http';
import { refreshFailure } from './failure';
import type { RefreshFailure } from './types';

/**
 * Where a request got to before it failed, as the transport (`createHttpTransport`, ../net/http)
 * reports it: `idle` (never handed to the transport's agents), `connecting` (queued, resolving,
 * connecting or in the TLS handshake; nothing written yet), `sent` (it had a connected socket and
 * began writing, so the provider may have processed it).
 */
export type { SendState };

/** Errors that happen before any byte of the request can have left (DNS, TCP connect, TLS handshake). */
const CONNECT_PHASE = new Set<string>([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  CONNECT_TIMEOUT_CODE, // our connect timeout (TCP + TLS), see ../net/http
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

function isConnectPhaseCode(code: string): boolean {
  return CONNECT_PHASE.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_');
}

/** Error codes along the `cause` chain (and inside AggregateErrors), outermost first. */
function errorCodes(error: unknown, depth = 0): string[] {
  if (depth > 8 || typeof error !== 'object' || error === null) return [];
  const codes: string[] = [];
  if ('code' in error && typeof error.code === 'string') codes.push(error.code);
  if ('errors' in error && Array.isArray(error.errors)) {
    for (const inner of error.errors) codes.push(...errorCodes(inner, depth + 1));
  }
  if ('cause' in error) codes.push(...errorCodes(error.cause, depth + 1));
  return codes;
}

function findUrlRefusal(error: unknown, depth = 0): ServiceError | null {
  if (depth > 8 || typeof error !== 'object' || error === null) return null;
  if (isServiceError(error, 'url_not_allowed')) return error;
  if ('errors' in error && Array.isArray(error.errors)) {
    for (const inner of error.errors) {
      const found = findUrlRefusal(inner, depth + 1);
      if (found !== null) return found;
    }
  }
  return 'cause' in error ? findUrlRefusal(error.cause, depth + 1) : null;
}

export interface NetworkErrorContext {
  readonly state: SendState;
  /** Our own deadline fired. */
  readonly timedOut: boolean;
  readonly timeoutMs: number;
}

/**
 * Classifies a failed token request. An SSRF refusal is `client_misconfigured` (nothing sent). A
 * failure before the transport started writing, or with a connect-phase code, is `provider_unavailable` with
 * `requestSent: false` (safe to re-send). Anything later (reset, socket closed, header/body
 * timeout, our deadline) is `ambiguous`: the provider may have rotated the refresh token, so it is
 * not blindly re-sent (reliability promise 6, RFC 9700 §4.14.2). Messages hold codes, never URLs.
 */
export function classifyNetworkError(error: unknown, ctx: NetworkErrorContext): RefreshFailure {
  const refusal = findUrlRefusal(error);
  if (refusal !== null) {
    return refreshFailure(
      'client_misconfigured',
      `token request not sent (url_not_allowed): ${refusal.message}`,
      {
        requestSent: false,
      },
    );
  }
  const codes = errorCodes(error);
  const code = codes.find((c) => c !== 'ABORT_ERR') ?? codes[0] ?? 'unknown';
  const notSent = ctx.state === 'connecting' || (ctx.state === 'idle' && codes.some(isConnectPhaseCode));
  if (notSent) {
    const message = ctx.timedOut
      ? `could not connect to the token endpoint within ${ctx.timeoutMs} ms`
      : `could not connect to the token endpoint (${code})`;
    return refreshFailure('provider_unavailable', message, { requestSent: false });
  }
  const message = ctx.timedOut
    ? `no complete response from the token endpoint within ${ctx.timeoutMs} ms; the refresh may have been processed`
    : `connection to the token endpoint failed after the request was sent (${code}); the refresh may have been processed`;
  return refreshFailure('ambiguous', message, { requestSent: true });
}
