import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ServiceError } from '../errors';

/** A DynamoDB failure as the core sees it: `store_unavailable`, naming the operation and SDK error. */
export function storeError(operation: string, error: unknown): ServiceError {
  const name = error instanceof Error ? error.name : 'UnknownError';
  return new ServiceError('store_unavailable', `DynamoDB ${operation} failed (${name})`, { cause: error });
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
