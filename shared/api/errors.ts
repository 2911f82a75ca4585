import { isServiceError } from '../errors';

/** api.md error codes. */
export type ApiErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'reauth_required'
  | 'provider_error'
  | 'provider_unavailable'
  | 'refresh_in_progress'
  | 'internal_error';

/** An answer other than 2xx, with api.md's envelope. Throw it from a route; the router renders it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ValidationProblem {
  readonly path: string;
  readonly message: string;
}

export const invalidRequest = (message: string, details?: readonly ValidationProblem[]) =>
  new ApiError(400, 'invalid_request', message, details);

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

/**
 * Maps the core's typed errors to API errors; anything else is an internal error (logged by the
 * router, answered without details).
 */
export function toApiError(error: unknown): ApiError | null {
  if (error instanceof ApiError) return error;
  if (!isServiceError(error)) return null;
  switch (error.code) {
    case 'not_found':
      return new ApiError(404, 'not_found', error.message);
    case 'refresh_in_progress':
      return new ApiError(503, 'refresh_in_progress', error.message, undefined, { 'retry-after': '2' });
    case 'invalid_url':
    case 'url_not_allowed':
    case 'config_invalid':
      return new ApiError(400, 'invalid_request', error.message);
    case 'store_unavailable':
    case 'keyring_unavailable':
    case 'queue_unavailable':
    case 'insufficient_time':
    case 'stale_fence':
    case 'lease_expired':
    case 'lease_held':
      return new ApiError(503, 'provider_unavailable', 'the service is busy; retry shortly', undefined, {
        'retry-after': '2',
      });
    default:
      return null;
  }
}
