/**
 * Typed errors. Every error the service raises on purpose extends {@link ServiceError} and carries a
 * literal `code`, so callers switch on `code`, never on message text. SDK and network errors are
 * translated into these at the adapter that meets them, keeping the original as `cause`.
 */
export type ServiceErrorCode =
  | 'config_invalid'
  | 'not_found'
  | 'invalid_cursor'
  | 'lease_held'
  | 'stale_fence'
  | 'lease_expired'
  | 'decrypt_failed'
  | 'encrypt_failed'
  | 'keyring_unavailable'
  | 'store_unavailable'
  | 'store_rejected'
  | 'insufficient_time'
  | 'refresh_in_progress'
  | 'invalid_url'
  | 'url_not_allowed'
  | 'invalid_message'
  | 'queue_unavailable'
  | 'account_mismatch';

export class ServiceError extends Error {
  readonly code: ServiceErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ServiceErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.details = options.details;
  }
}

/** The connection (or integration) does not exist. */
export class NotFoundError extends ServiceError {
  constructor(what: string, options: { cause?: unknown } = {}) {
    super('not_found', `${what} not found`, options);
    this.name = 'NotFoundError';
  }
}

/** A listing cursor that the listing did not hand out (or handed out for another filter). `message` says which. */
export class InvalidCursorError extends ServiceError {
  constructor(message: string) {
    super('invalid_cursor', message);
    this.name = 'InvalidCursorError';
  }
}

/** Another worker holds the refresh lease of this connection; `leaseUntil` says until when (epoch ms). */
export class LeaseHeldError extends ServiceError {
  readonly leaseUntil: number | undefined;
  constructor(key: string, leaseUntil: number | undefined) {
    super('lease_held', `refresh lease of ${key} is held by another worker`);
    this.name = 'LeaseHeldError';
    this.leaseUntil = leaseUntil;
  }
}

/** A write carried a fence (`version`) that is no longer current: someone else wrote since. */
export class StaleFenceError extends ServiceError {
  constructor(key: string, fence: number) {
    super('stale_fence', `write to ${key} rejected: fence ${fence} is stale`);
    this.name = 'StaleFenceError';
  }
}

export function isServiceError(e: unknown, code?: ServiceErrorCode): e is ServiceError {
  return e instanceof ServiceError && (code === undefined || e.code === code);
}
