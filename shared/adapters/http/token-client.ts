import { setTimeout as sleep } from 'node:timers/promises';
import { isServiceError } from '../../errors';
import { refreshFailure } from '../../oauth/failure';
import { classifyNetworkError, type SendState } from '../../oauth/network';
import { buildRefreshRequest } from '../../oauth/request';
import { processRefreshResponse } from '../../oauth/response';
import type {
  RefreshCallOptions,
  RefreshFailure,
  RefreshGrantInput,
  RefreshOutcome,
  TokenClient,
  TokenEndpoint,
  TokenEndpointAnswer,
  TokenRequest,
} from '../../oauth/types';
import { assertUrlAllowed } from '../../policy/ssrf';
import { type HttpResponse, type HttpTransport, HttpTransportError } from '../../ports/http';
import { createHttpTransport } from './transport';

export interface TokenClientOptions {
  /** @default a `createHttpTransport` (../net/http) honouring `allowPrivateUrls` */
  readonly transport?: HttpTransport;
  /** Permit http: and private/loopback token URLs (`ALLOW_PRIVATE_URLS`, local runs). @default false */
  readonly allowPrivateUrls?: boolean;
  /** In-call re-sends, only after failures where the request provably was not sent. @default 2 */
  readonly retryConnectErrors?: number;
  /** Pause before the n-th re-send is n × this. @default 100 */
  readonly retryDelayMs?: number;
  /** Larger responses are `invalid_response`. @default 262144 (256 KiB) */
  readonly maxResponseBytes?: number;
}

type Sent = TokenEndpointAnswer;

/** Sent unless the request sets its own (some provider front ends refuse requests without one). */
const USER_AGENT = 'oauth-refresher/1';

/**
 * Creates the {@link TokenEndpoint} transport shared by the refresh grant ({@link createTokenClient})
 * and the authorization_code grant (`exchangeAuthorizationCode`). Connect-phase failures are
 * re-sent up to `retryConnectErrors` times within the same deadline; a failure after the request
 * may have reached the provider is returned as `ambiguous` and never re-sent (see
 * {@link classifyNetworkError}).
 */
export function createTokenEndpoint(options: TokenClientOptions = {}): TokenEndpoint {
  const allowPrivate = options.allowPrivateUrls ?? false;
  const transport = options.transport ?? createHttpTransport({ allowPrivate });
  const retries = Math.max(0, options.retryConnectErrors ?? 2);
  const retryDelayMs = options.retryDelayMs ?? 100;
  const maxBytes = options.maxResponseBytes ?? 262_144;

  async function send(request: TokenRequest, signal: AbortSignal, timeoutMs: number): Promise<Sent> {
    let state: SendState = 'idle';
    let response: HttpResponse;
    try {
      response = await transport.request(request.url, {
        method: 'POST',
        headers: { 'user-agent': USER_AGENT, ...request.headers },
        body: request.body,
        signal,
        maxResponseBytes: maxBytes,
        onState: (s) => {
          state = s;
        },
      });
    } catch (error) {
      const answered = error instanceof HttpTransportError ? error.status : null;
      if (answered === null) {
        const ctx = { state, timedOut: signal.aborted, timeoutMs };
        return { ok: false, failure: classifyNetworkError(error, ctx) };
      }
      // The provider answered, so it processed the grant; only the body was lost.
      const failure = classifyNetworkError(error, { state: 'sent', timedOut: signal.aborted, timeoutMs });
      return { ok: false, failure: { ...failure, httpStatus: answered } };
    }
    const { status, headers, bodyText } = response;
    if (bodyText === null) {
      const message = `token endpoint response exceeds ${maxBytes} bytes (HTTP ${status})`;
      return { ok: false, failure: refreshFailure('invalid_response', message, { httpStatus: status }) };
    }
    return { ok: true, status, headers, bodyText };
  }

  async function post(request: TokenRequest, call: RefreshCallOptions): Promise<TokenEndpointAnswer> {
    try {
      assertUrlAllowed(request.url, { allowPrivate });
    } catch (error) {
      if (!isServiceError(error)) throw error; // a bug, not provider behaviour
      return notSent(error.code, error.message);
    }
    const signal = AbortSignal.timeout(call.timeoutMs);
    let sent: Sent;
    for (let attempt = 0; ; attempt++) {
      sent = await send(request, signal, call.timeoutMs);
      const retryable = !sent.ok && !sent.failure.requestSent && sent.failure.code === 'provider_unavailable';
      if (!retryable || attempt >= retries || signal.aborted) break;
      try {
        await sleep(retryDelayMs * (attempt + 1), undefined, { signal });
      } catch {
        break; // deadline reached while waiting: report the last failure
      }
    }
    return sent;
  }

  return { post };
}

function notSent(code: string, message: string): { ok: false; failure: RefreshFailure } {
  return {
    ok: false,
    failure: refreshFailure('client_misconfigured', `token request not sent (${code}): ${message}`, {
      requestSent: false,
    }),
  };
}

/**
 * Creates the {@link TokenClient}: builds the refresh_token grant (RFC 6749 §6), sends it through
 * an SSRF-guarded transport with a deadline, and classifies every outcome (RFC 6749 §5.2; see
 * {@link processRefreshResponse} and {@link classifyNetworkError}). Redirects are not followed
 * (a 3xx is `invalid_response`). Connect-phase failures are re-sent up to `retryConnectErrors`
 * times within the same deadline; a failure after the request may have reached the provider is
 * returned as `ambiguous` and never re-sent here, because a rotating provider may already have
 * retired the presented refresh token (RFC 9700 §4.14.2). `refresh` resolves, never rejects, for
 * anything the provider or network does.
 */
export function createTokenClient(options: TokenClientOptions = {}): TokenClient {
  const endpoint = createTokenEndpoint(options);

  async function refresh(input: RefreshGrantInput, call: RefreshCallOptions): Promise<RefreshOutcome> {
    let request: TokenRequest;
    try {
      request = buildRefreshRequest(input);
    } catch (error) {
      if (!isServiceError(error)) throw error; // a bug, not provider behaviour
      return notSent(error.code, error.message);
    }
    const sent = await endpoint.post(request, call);
    if (!sent.ok) return sent;
    return processRefreshResponse({
      status: sent.status,
      headers: sent.headers,
      bodyText: sent.bodyText,
      integration: input.integration,
      previousLifetimeSeconds: input.previousLifetimeSeconds,
      now: input.now,
      previousRefreshToken: input.refreshToken,
      secrets: input.clientSecret === null ? [] : [input.clientSecret],
    });
  }

  return { refresh };
}
