import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ServiceError } from '../../../errors';

/**
 * DynamoDB errors that say the request itself is wrong: retrying the same request cannot succeed.
 * (Every value that comes from outside is clamped before it is written, so these mean a bug.)
 */
const PERMANENT = new Set([
  'ValidationException',
  'SerializationException',
  'ItemCollectionSizeLimitExceededException',
]);

/**
 * A DynamoDB failure as the core sees it, naming the operation and SDK error: `store_rejected` when
 * DynamoDB refused the request as invalid (permanent, never retried as if it were throttling),
 * otherwise `store_unavailable` (transient).
 */
export function storeError(operation: string, error: unknown): ServiceError {
  const name = error instanceof Error ? error.name : 'UnknownError';
  const code = PERMANENT.has(name) ? 'store_rejected' : 'store_unavailable';
  return new ServiceError(code, `DynamoDB ${operation} failed (${name})`, { cause: error });
}

/**
 * Runs one DynamoDB call and translates its failure (style.md: SDK errors are translated inside the
 * adapter). Conditional-check failures pass through untouched when `passConditional` is set, for
 * adapters that turn them into their own outcomes (lease held, stale fence, already used).
 */
export async function storeCall<T>(
  operation: string,
  call: () => Promise<T>,
  options: { passConditional?: boolean } = {},
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (options.passConditional === true && error instanceof ConditionalCheckFailedException) throw error;
    throw storeError(operation, error);
  }
}
