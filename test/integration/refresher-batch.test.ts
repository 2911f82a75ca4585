import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/local';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';

/** Provider delay: long enough that a second batch starts while the first still waits on it. */
const PROVIDER_DELAY_MS = 1_500;

const record = (messageId: string, body: string): SQSRecord => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: String(Date.now()),
    SenderId: 'local',
    ApproximateFirstReceiveTimestamp: String(Date.now()),
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:refresh',
  awsRegion: 'us-east-1',
});

const context = {
  functionName: 'refresher',
  awsRequestId: 'req',
  getRemainingTimeInMillis: () => 120_000,
} as unknown as Context;

const task = (connectionId: string) =>
  JSON.stringify({ v: 1, integration_id: 'slow', connection_id: connectionId, due_at: Date.now() });

// reliability.md promise 27: overlapping invocations (the local runtime polls with concurrency, and
// a Lambda container is reused) each report their own batch's failures; a batch processor shared
// between calls let the second batch's start clear the first's failures, deleting poison messages.
describe('refresher: overlapping batches keep their own failures', () => {
  let runtime: TestRuntime;
  let double: ProviderDouble;

  beforeAll(async () => {
    double = await startProviderDouble({ mode: { mode: 'slow', delayMs: PROVIDER_DELAY_MS } });
    runtime = await startTestRuntime({ name: 'refresher-batch', env: { LOG_LEVEL: 'info' } });
    const put = async (path: string, body: unknown) => {
      expect((await runtime.api.put(path, body)).status).toBeLessThan(300);
    };
    await put('/v1/integrations/slow', {
      provider: 'custom',
      client_id: 'client-1',
      client_secret: 'secret-slow-0001',
      token_url: double.url,
    });
    // Expiring at once: due, so its task calls the (slow) provider.
    const refreshToken = double.mintFamily();
    rememberSecret(refreshToken, 'at-c-slow-000001');
    await put('/v1/integrations/slow/connections/c-slow', {
      access_token: 'at-c-slow-000001',
      refresh_token: refreshToken,
      expires_in: 1,
    });
  });
  afterAll(async () => {
    await runtime?.stop();
    await double?.close();
  });

  it('a poison message of the first batch is reported even when a second batch runs meanwhile', async () => {
    const { handler } = await import('../../functions/refresher/handler');
    const first: SQSEvent = {
      Records: [record('poison-1', '{"not":"a task"}'), record('slow-1', task('c-slow'))],
    };
    const second: SQSEvent = { Records: [record('missing-1', task('c-gone'))] };

    const firstCall = handler(first, context) as Promise<SQSBatchResponse>;
    // The first batch's poison record has failed; its slow record waits on the provider.
    await new Promise((resolve) => setTimeout(resolve, PROVIDER_DELAY_MS / 3));
    const secondResult = await (handler(second, context) as Promise<SQSBatchResponse>);
    const firstResult = await firstCall;

    expect(secondResult.batchItemFailures).toEqual([]);
    expect(firstResult.batchItemFailures).toEqual([{ itemIdentifier: 'poison-1' }]);
    expect(double.requests.count).toBe(1); // the slow record did refresh
  });
});
