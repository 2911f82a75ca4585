import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../infra/local/http';
import { PENDING_MESSAGES_FILE } from '../../infra/local/pending-messages';
import { startPoller } from '../../infra/local/poller';
import { type LocalRuntime, startLocalRuntime } from '../../infra/local/runtime';
import { createQueueWithDlq, type LocalSqs, startLocalSqs } from '../../infra/local/sqs';
import type { OutboxEvent } from '../../shared/domain/events';
import { closedPort } from '../support/ports';
import { rememberSecret } from '../support/secrets';
import { until } from '../support/wait';
import { startWebhookReceiver } from '../support/webhook-receiver';

const event = (id: string): OutboxEvent => ({
  id,
  body: {
    type: 'connection.reauth_required',
    timestamp: new Date().toISOString(),
    data: {
      integration_id: 'demo',
      connection_id: 'user-1',
      provider: 'custom',
      status: 'needs_reauth',
      consecutive_failures: 1,
      access_token_expires_at: null,
      error: {
        code: 'revoked',
        message: 'revoked',
        provider_error: 'invalid_grant',
        provider_error_description: null,
      },
    },
  },
});

describe('local runtime', () => {
  let dataDir: string;
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'local-runtime-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves GET /health and answers unknown routes with the 404 error envelope (401 under /v1 without a key)', async () => {
    const rt = await startLocalRuntime({ port: 0, dataDir: join(dataDir, 'http'), persist: false, log });
    rememberSecret(rt.apiKey, rt.webhookSecret);
    try {
      const health = await fetch(`${rt.url}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect((await fetch(`${rt.url}/v1/nothing`)).status).toBe(401);
      for (const [method, path] of [
        ['GET', '/v1/nothing'],
        ['POST', '/health'],
      ] as const) {
        const res = await fetch(`${rt.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${rt.apiKey}` },
        });
        expect(res.status).toBe(404);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('not_found');
        expect(typeof body.error.message).toBe('string');
      }
    } finally {
      await rt.stop();
    }
  });

  it('lets the admin key it generated and printed call the API', async () => {
    const rt = await startLocalRuntime({ port: 0, dataDir: join(dataDir, 'keys'), persist: false, log });
    rememberSecret(rt.apiKey, rt.webhookSecret);
    try {
      expect(rt.apiKeySource).toBe('generated');
      const authorized = await fetch(`${rt.url}/v1/integrations`, {
        headers: { authorization: `Bearer ${rt.apiKey}` },
      });
      expect(authorized.status).toBe(200);
      const anonymous = await fetch(`${rt.url}/v1/integrations`);
      expect(anonymous.status).toBe(401);
    } finally {
      await rt.stop();
    }
  });

  it('refuses an invalid configuration, naming the variable, and can start afterwards', async () => {
    await expect(
      startLocalRuntime({ dataDir, scanIntervalSeconds: 0.5, persist: false, log }),
    ).rejects.toThrow(/SCAN_INTERVAL_SECONDS/);
    const rt = await startLocalRuntime({ port: 0, dataDir: join(dataDir, 'http'), persist: false, log });
    await rt.stop();
  });

  it('keeps the admin key and webhook secret, and every undelivered webhook, across a restart', async () => {
    const dir = join(dataDir, 'restart');
    // A receiver that is down: the event stays in the webhook queue, retried later.
    const down = `http://127.0.0.1:${await closedPort()}/hooks`;
    const first = await startLocalRuntime({
      port: 0,
      dataDir: dir,
      env: { WEBHOOK_URL: down, LOG_LEVEL: 'ERROR' },
      log,
    });
    rememberSecret(first.apiKey, first.webhookSecret);
    expect(first.apiKeySource).toBe('generated');
    expect(first.webhookSecretSource).toBe('generated');
    expect(first.webhookSecret).toMatch(/^whsec_/);
    expect((await stat(join(dir, 'api-key'))).mode & 0o777).toBe(0o600);
    await first.sqs.send(
      new SendMessageCommand({
        QueueUrl: first.queues.webhooks,
        MessageBody: JSON.stringify(event('evt_restart_0001')),
      }),
    );
    await until(
      'the sender to take the event',
      async () => (await inFlight(first, first.queues.webhooks)) === 1,
      10_000,
    );
    // A refresh task still queued at stop (its connection is claimed for minutes) survives too.
    const task = JSON.stringify({ v: 1, integration_id: 'gone', connection_id: 'task-at-stop', due_at: 1 });
    await first.sqs.send(new SendMessageCommand({ QueueUrl: first.queues.refreshDlq, MessageBody: task }));
    await first.stop();
    const saved = await readFile(join(dir, PENDING_MESSAGES_FILE), 'utf8');
    expect(saved).toContain('evt_restart_0001');
    expect(saved).toContain('task-at-stop');

    const receiver = await startWebhookReceiver();
    const second = await startLocalRuntime({
      port: 0,
      dataDir: dir,
      env: { WEBHOOK_URL: receiver.url, LOG_LEVEL: 'ERROR' },
      log,
    });
    try {
      expect(second.apiKeySource).toBe('file');
      expect(second.apiKey).toBe(first.apiKey);
      expect(second.apiKeySha256).toBe(first.apiKeySha256);
      expect(second.webhookSecret).toBe(first.webhookSecret);
      expect(second.restoredMessages).toBe(2);
      await until('the saved event to be delivered', () => receiver.received.length > 0, 10_000);
      expect(receiver.received[0]?.headers['webhook-id']).toBe('evt_restart_0001');
      await expect(stat(join(dir, PENDING_MESSAGES_FILE))).rejects.toThrow(/ENOENT/);
    } finally {
      await second.stop();
      await receiver.close();
    }
  });
});

describe('SQS poller (event-source mapping)', () => {
  let sqs: LocalSqs;
  beforeAll(async () => {
    sqs = await startLocalSqs();
  });
  afterAll(async () => {
    await sqs?.close();
  });

  it('deletes completed records, redelivers reported failures, and dead-letters a poison record', async () => {
    const { queue, dlq } = await createQueueWithDlq(sqs.client, {
      name: 'poll-test',
      dlqName: 'poll-test-dlq',
      maxReceiveCount: 2,
      visibilityTimeoutSeconds: 1,
    });
    const seen: SQSRecord[] = [];
    const poller = startPoller({
      sqs: sqs.client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      name: 'test-fn',
      handler: async (ev) => {
        seen.push(...ev.Records);
        const fail = ev.Records.filter(
          (r) => r.body === 'poison' || (r.body === 'flaky' && r.attributes.ApproximateReceiveCount === '1'),
        );
        return { batchItemFailures: fail.map((r) => ({ itemIdentifier: r.messageId })) };
      },
    });
    const bodies = ['ok-1', 'ok-2', 'flaky', 'poison', 'ok-3'];
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: bodies.map((b, i) => ({ Id: String(i), MessageBody: b })),
      }),
    );
    try {
      await until(
        'the poison record to reach the DLQ',
        async () => (await sqs.inspect('poll-test-dlq'))?.length === 1,
        10_000,
      );
      await until('the queue to drain', async () => (await sqs.inspect('poll-test'))?.length === 0, 10_000);
    } finally {
      await poller.stop();
    }
    const count = (body: string) => seen.filter((r) => r.body === body).length;
    expect([count('ok-1'), count('ok-2'), count('ok-3'), count('flaky'), count('poison')]).toEqual([
      1, 1, 1, 2, 2,
    ]);
    const [dead] = (await sqs.inspect('poll-test-dlq')) ?? [];
    expect(dead?.body).toBe('poison');
    expect(seen[0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    });
    expect(Number(seen[0]?.attributes.SentTimestamp)).toBeGreaterThan(0);
    expect(dlq.arn).toMatch(/:poll-test-dlq$/);
  });

  it('retries the whole batch when the handler throws', async () => {
    const { queue } = await createQueueWithDlq(sqs.client, {
      name: 'throw-test',
      dlqName: 'throw-test-dlq',
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 1,
    });
    let calls = 0;
    const poller = startPoller({
      sqs: sqs.client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      name: 'throwing-fn',
      handler: async () => {
        calls += 1;
        if (calls === 1) throw new Error('boom');
        return { batchItemFailures: [] };
      },
    });
    await sqs.client.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: ['a', 'b'].map((b) => ({ Id: b, MessageBody: b })),
      }),
    );
    try {
      await until(
        'both records to complete on redelivery',
        async () => calls >= 2 && (await sqs.inspect('throw-test'))?.length === 0,
        10_000,
      );
    } finally {
      await poller.stop();
    }
    expect(calls).toBe(2);
  });
});

describe('HTTP server (API Gateway payload 2.0)', () => {
  it('builds the event from the request and caps bodies', async () => {
    let captured: APIGatewayProxyEventV2 | undefined;
    const server = await startHttpServer({
      maxBodyBytes: 1_024,
      handler: async (ev) => {
        captured = ev;
        return { statusCode: 201, headers: { 'x-test': 'yes' }, cookies: ['a=1'], body: 'created' };
      },
    });
    try {
      const res = await rawRequest(`${server.url}/v1/things?x=1&x=2&y=%20z`, {
        method: 'POST',
        headers: {
          'X-Multi': ['one', 'two'],
          cookie: 'c1=v1; c2=v2',
          'content-type': 'application/octet-stream',
        },
        body: Buffer.from([0xff, 0x00, 0x01]),
      });
      expect(res.status).toBe(201);
      expect(res.headers['x-test']).toBe('yes');
      expect(res.headers['set-cookie']).toEqual(['a=1']);
      expect(captured).toMatchObject({
        version: '2.0',
        routeKey: '$default',
        rawPath: '/v1/things',
        rawQueryString: 'x=1&x=2&y=%20z',
        queryStringParameters: { x: '1,2', y: ' z' },
        cookies: ['c1=v1', 'c2=v2'],
        isBase64Encoded: true,
        body: Buffer.from([0xff, 0x00, 0x01]).toString('base64'),
        requestContext: { http: { method: 'POST', path: '/v1/things' }, stage: '$default' },
      });
      expect(captured?.headers['x-multi']).toBe('one,two');
      expect(captured?.headers.cookie).toBeUndefined();

      const tooBig = await fetch(`${server.url}/v1/things`, { method: 'POST', body: 'x'.repeat(2_048) });
      expect(tooBig.status).toBe(413);
      expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    } finally {
      await server.close();
    }
  });
});

async function inFlight(rt: LocalRuntime, queueUrl: string): Promise<number> {
  const out = await rt.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** node:http, because fetch cannot send a repeated header or a Cookie header. */
function rawRequest(
  url: string,
  options: { method: string; headers: Record<string, string | string[]>; body: Buffer },
): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
