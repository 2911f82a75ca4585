export type OpsErrorCode =
  | 'unreachable'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'not_local'
  | 'api_error'
  | 'invalid_answer'
  | 'no_credentials'
  | 'bad_credentials'
  | 'no_region'
  | 'no_stack'
  | 'missing_output'
  | 'access_denied'
  | 'aws_error';

/** Why an operator command failed, said for the operator (never with a key or token in it). */
export class OpsError extends Error {
  override readonly name = 'OpsError';
  constructor(
    readonly code: OpsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
