import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { storeCall } from '../../../shared/adapters/aws/dynamodb/sdk-errors';

const named = (name: string) => Object.assign(new Error(`${name} from DynamoDB`), { name });

describe('storeCall', () => {
  it('a request DynamoDB refuses as invalid is permanent (store_rejected), never retried as throttling', async () => {
    await expect(
      storeCall('UpdateItem', () => Promise.reject(named('ValidationException'))),
    ).rejects.toMatchObject({
      code: 'store_rejected',
      message: 'DynamoDB UpdateItem failed (ValidationException)',
    });
  });

  it('throttling and unknown failures are transient (store_unavailable)', async () => {
    const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
    await expect(storeCall('GetItem', () => Promise.reject(throttled))).rejects.toMatchObject({
      code: 'store_unavailable',
    });
    await expect(storeCall('GetItem', () => Promise.reject(named('TimeoutError')))).rejects.toMatchObject({
      code: 'store_unavailable',
    });
  });

  it('passes conditional-check failures through when asked', async () => {
    const failed = new ConditionalCheckFailedException({ message: 'no', $metadata: {} });
    await expect(storeCall('Put', () => Promise.reject(failed), { passConditional: true })).rejects.toBe(
      failed,
    );
  });
});
