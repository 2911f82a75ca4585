import { randomBytes } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type FauxqsServer, startFauxqs } from 'fauxqs';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWebhookSenderRoot, type WebhookSenderRoot } from '../../functions/webhook-sender/deps';
import { createWebhookSenderHandler } from '../../functions/webhook-sender/handler';
import { ensureTable, type LocalDynamo, startDynalite } from '../../infra/local/dynalite';
import { DynamoIntegrationStore } from '../../shared/adapters/aws/dynamodb/integrations';
import { createHttpTransport } from '../../shared/adapters/http/transport';
import { loadConfig } from '../../shared/config/config';
import type { OutboxEvent } from '../../shared/domain/events';
import { buildEvent } from '../../shared/refresh/events';
import { deliverWebhook } from '../../shared/webhooks/deliver';
import { redeliveryDelaySeconds, WEBHOOK_MAX_RECEIVE_COUNT } from '../../shared/webhooks/retry';
import { generateWebhookSecret, parseWebhookSecret } from '../../shared/webhooks/signing';
import { rememberSecret } from '../support/secrets';
import { capturedOutput } from '../support/setup';

// Redelivery waits are real ChangeMessageVisibility calls; tests shorten them to 0 s unless they
// check the schedule itself (`fast.on = false`).
const fast = vi.hoisted(() => ({ on: true }));
vi.mock('../../shared/webhooks/retry', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../shared/webhooks/retry')>();
  return {
    ...actual,
    redeliveryDelaySeconds: vi.fn((n: number) => (fast.on ? 0 : actual.redeliveryDelaySeconds(n))),
  };
});

const TABLE = 'webhook-test';
const SECRET = generateWebhookSecret();
const MASTER_KEY = randomBytes(32).toString('base64');
rememberSecret(SECRET, MASTER_KEY);

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly status: number;
}
type Answer = number | { readonly status: number; readonly location: string };

/** A webhook receiver on 127.0.0.1: records every request and answers as scripted (then 200). */
interface Receiver {
  readonly url: string;
  readonly port: number;
  readonly requests: Received[];
  answer(...answers: Answer[]): void;
  reset(): void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const requests: Received[] = [];
  let script: Answer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = script.shift() ?? 200;
      const status = typeof answer === 'number' ? answer : answer.status;
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === 'string') headers[name] = value;
      // A signature is a credential for its request: it must never show up in the logs either.
      rememberSecret(headers['webhook-signature']);
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
      });
      res.writeHead(status, typeof answer === 'number' ? {} : { location: answer.location });
      res.end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    answer: (...answers) => {
      script = answers;
    },
    reset: () => {
      requests.length = 0;
      script = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// reliability.md promises 13 and 14, end to end: a real SQS emulator (fauxqs) with a redrive
// policy, the Lambda handler driven with AWS-shaped events, real HTTP receivers on loopback.
describe('webhook sender (fauxqs + handler + HTTP receivers)', () => {
  let sqsServer: FauxqsServer;
  let dynamo: LocalDynamo;
  let sqs: SQSClient;
  let queue: { queueUrl: string; queueArn: string };
  let dlq: { queueUrl: string; queueArn: string };
  let main: Receiver;
  let other: Receiver;
  let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  // The sender's composition root, rebuilt from the (stubbed) environment as a new container would be.
  let root: Promise<WebhookSenderRoot> | undefined;
  const rebuildRoot = () => {
    void root?.then((old) => old.dispose());
    root = createWebhookSenderRoot(loadConfig());
  };

  beforeAll(async () => {
    [sqsServer, dynamo, main, other] = await Promise.all([
      startFauxqs({ port: 0, logger: false }),
      startDynalite(),
      startReceiver(),
      startReceiver(),
    ]);
    await ensureTable(dynamo.client, TABLE);
    dlq = sqsServer.createQueue('webhooks-dlq');
    queue = sqsServer.createQueue('webhooks', {
      attributes: {
        // Far longer than any test: a message that comes back at once proves our visibility call.
        VisibilityTimeout: '300',
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlq.queueArn,
          maxReceiveCount: String(WEBHOOK_MAX_RECEIVE_COUNT),
        }),
      },
    });
    sqs = new SQSClient({
      endpoint: sqsServer.address,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const env: Record<string, string> = {
      TABLE_NAME: TABLE,
      REFRESH_QUEUE_URL: sqsServer.createQueue('refresh').queueUrl,
      WEBHOOK_QUEUE_URL: queue.queueUrl,
      SQS_ENDPOINT: sqsServer.address,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      WEBHOOK_URL: main.url,
      WEBHOOK_SECRET: SECRET,
      ALLOW_PRIVATE_URLS: 'true',
      MASTER_KEY,
    };
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    rebuildRoot();
    handler = createWebhookSenderHandler(() => root as Promise<WebhookSenderRoot>);
    const integrations = new DynamoIntegrationStore(dynamo.client, TABLE);
    const base = { provider: 'custom', client_id: 'client-1', token_url: 'http://127.0.0.1:9/token' };
    await integrations.put(
      'with-override',
      { ...base, webhook_url: `${other.url}/override` },
      null,
      Date.now(),
    );
    await integrations.put('plain', base, null, Date.now());
  });

  afterAll(async () => {
    rebuildRoot();
    vi.unstubAllEnvs();
    sqs?.destroy();
    await Promise.all([sqsServer?.stop(), dynamo?.close(), main?.close(), other?.close()]);
  });

  beforeEach(() => {
    sqsServer.reset();
    main.reset();
    other.reset();
    fast.on = true;
    vi.mocked(redeliveryDelaySeconds).mockClear();
  });

  const event = (integrationId = 'plain'): OutboxEvent =>
    buildEvent(
      'connection.reauth_required',
      { integrationId, connectionId: `user-${randomBytes(3).toString('hex')}`, provider: 'google' },
      {
        status: 'needs_reauth',
        consecutiveFailures: 1,
        accessTokenExpiresAt: Date.now() + 60_000,
        error: {
          code: 'revoked',
          message: 'the provider revoked the grant',
          provider_error: 'invalid_grant',
          provider_error_description: 'Token has been expired or revoked.',
          at: new Date().toISOString(),
        },
      },
      Date.now(),
    );

  async function send(...bodies: Array<OutboxEvent | string>): Promise<void> {
    for (const body of bodies) {
      const MessageBody = typeof body === 'string' ? body : JSON.stringify(body);
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.queueUrl, MessageBody }));
    }
  }

  async function receive(queueUrl = queue.queueUrl): Promise<Message[]> {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  const toRecord = (m: Message): SQSRecord => ({
    messageId: m.MessageId ?? '',
    receiptHandle: m.ReceiptHandle ?? '',
    body: m.Body ?? '',
    attributes: {
      ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
      SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
    },
    messageAttributes: {},
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queue.queueArn,
    awsRegion: 'us-east-1',
  });

  const context: Context = {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'webhook-sender',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:webhook-sender',
    memoryLimitInMB: '256',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/webhook-sender',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };

  /** What the Lambda event source mapping does: invoke, then delete the records that did not fail. */
  async function invoke(messages: Message[]): Promise<{ failed: string[]; records: SQSRecord[] }> {
    const records = messages.map(toRecord);
    const response = await handler({ Records: records }, context);
    const failed = response.batchItemFailures.map((f) => f.itemIdentifier);
    for (const r of records.filter((r) => !failed.includes(r.messageId))) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.queueUrl, ReceiptHandle: r.receiptHandle }));
    }
    return { failed, records };
  }

  const queueDepth = (name: string) => {
    const q = sqsServer.inspectQueue(name);
    return q === undefined
      ? -1
      : q.messages.ready.length + q.messages.inflight.length + q.messages.delayed.length;
  };

  it('delivers the api.md body signed so that the reference library verifies it', async () => {
    // Prepare
    const evt = event();
    await send(evt);
    // Act
    const { failed } = await invoke(await receive());
    // Assess
    expect(failed).toEqual([]);
    const [request] = main.requests;
    expect(main.requests).toHaveLength(1);
    expect(request?.method).toBe('POST');
    expect(request?.body).toBe(JSON.stringify(evt.body));
    expect(new Webhook(SECRET).verify(request?.body ?? '', request?.headers ?? {})).toEqual(evt.body);
    expect(request?.headers).toMatchObject({
      'webhook-id': evt.id,
      'content-type': 'application/json',
      'user-agent': 'oauth-refresher-webhooks/1',
    });
    expect(JSON.parse(request?.body ?? '')).toMatchObject({
      type: 'connection.reauth_required',
      data: { integration_id: 'plain', status: 'needs_reauth', error: { code: 'revoked' } },
    });
    expect(queueDepth('webhooks')).toBe(0);
  });

  it('redelivers after 500s with the same webhook-id until the receiver accepts', async () => {
    // Prepare
    main.answer(500, 500, 500);
    const evt = event();
    await send(evt);
    // Act: each round re-receives the message made visible again by the sender's visibility call.
    const rounds: Array<{ failed: string[]; count: string }> = [];
    for (let i = 0; i < 4; i++) {
      const { failed, records } = await invoke(await receive());
      rounds.push({ failed, count: records[0]?.attributes.ApproximateReceiveCount ?? '-' });
    }
    // Assess
    expect(rounds.map((r) => r.count)).toEqual(['1', '2', '3', '4']);
    expect(rounds.map((r) => r.failed.length)).toEqual([1, 1, 1, 0]);
    expect(main.requests.map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect(new Set(main.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([evt.id]));
    for (const r of main.requests) expect(new Webhook(SECRET).verify(r.body, r.headers)).toEqual(evt.body);
    expect(vi.mocked(redeliveryDelaySeconds).mock.calls.map(([n]) => n)).toEqual([1, 2, 3]);
    expect(queueDepth('webhooks')).toBe(0);
    expect(queueDepth('webhooks-dlq')).toBe(0);
  });

  it('hides a failed message for the scheduled delay (30 s after the first attempt)', async () => {
    // Prepare
    fast.on = false;
    main.answer(503);
    await send(event());
    // Act
    const before = Date.now();
    const { failed } = await invoke(await receive());
    // Assess: the queue default is 300 s, so a 30 s deadline comes from ChangeMessageVisibility.
    expect(failed).toHaveLength(1);
    const [inflight] = sqsServer.inspectQueue('webhooks')?.messages.inflight ?? [];
    expect(inflight?.visibilityDeadline).toBeGreaterThanOrEqual(before + 29_000);
    expect(inflight?.visibilityDeadline).toBeLessThanOrEqual(Date.now() + 31_000);
    expect(await receive()).toEqual([]);
  });

  it('moves an event that is never accepted to the DLQ after maxReceiveCount attempts, intact', async () => {
    // Prepare
    main.answer(...Array<number>(WEBHOOK_MAX_RECEIVE_COUNT).fill(503));
    const evt = event();
    await send(evt);
    // Act
    for (let i = 0; i < WEBHOOK_MAX_RECEIVE_COUNT; i++) await invoke(await receive());
    const afterLast = await receive();
    // Assess
    expect(afterLast).toEqual([]);
    expect(main.requests).toHaveLength(WEBHOOK_MAX_RECEIVE_COUNT);
    const [dead] = await receive(dlq.queueUrl);
    expect(JSON.parse(dead?.Body ?? '{}')).toEqual(evt);
  });

  it('treats a 302 as a failure and does not follow it', async () => {
    // Prepare
    main.answer({ status: 302, location: `${other.url}/elsewhere` });
    await send(event());
    // Act
    const { failed, records } = await invoke(await receive());
    // Assess
    expect(failed).toEqual(records.map((r) => r.messageId));
    expect(main.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(0);
  });

  it('sends to the integration webhook_url instead of the default', async () => {
    // Prepare
    const overridden = event('with-override');
    const plain = event('plain');
    await send(overridden, plain);
    // Act
    const { failed } = await invoke(await receive());
    // Assess
    expect(failed).toEqual([]);
    expect(other.requests.map((r) => [r.path, r.headers['webhook-id']])).toEqual([
      ['/override', overridden.id],
    ]);
    expect(main.requests.map((r) => r.headers['webhook-id'])).toEqual([plain.id]);
  });

  it('reports malformed messages as batch item failures while the others complete', async () => {
    // Prepare: one body is not JSON, one is JSON but not an event.
    const good = [event(), event()];
    const poisonBodies = ['{"id":"evt_not-json"', '{"id":"evt_x","body":{"type":"nope"}}'];
    await send(good[0] as OutboxEvent, ...poisonBodies, good[1] as OutboxEvent);
    // Act
    const { failed, records } = await invoke(await receive());
    // Assess
    const poison = records.filter((r) => poisonBodies.includes(r.body));
    expect(records).toHaveLength(4);
    expect(poison).toHaveLength(2);
    expect(failed.sort()).toEqual(poison.map((r) => r.messageId).sort());
    expect(main.requests.map((r) => r.headers['webhook-id']).sort()).toEqual(good.map((e) => e.id).sort());
    expect(queueDepth('webhooks')).toBe(2); // only the poison stays, for redelivery and then the DLQ
  });

  describe('with ALLOW_PRIVATE_URLS=false', () => {
    beforeAll(() => {
      vi.stubEnv('ALLOW_PRIVATE_URLS', 'false');
      rebuildRoot();
    });
    afterAll(() => {
      vi.stubEnv('ALLOW_PRIVATE_URLS', 'true');
      rebuildRoot();
    });

    it('refuses a loopback webhook URL and sends nothing', async () => {
      await send(event());
      const { failed } = await invoke(await receive());
      expect(failed).toHaveLength(1);
      expect(main.requests).toHaveLength(0);
    });
  });

  it('refuses at connect time a host name that resolves to loopback (guarded transport)', async () => {
    // Prepare: DNS says the public-looking name is 127.0.0.1 (rebinding); the static check passes.
    const lookup: LookupFunction = (_host, options, callback) =>
      options.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
    const url = `http://hooks.example.com:${main.port}/`;
    const attempt = async (allowPrivate: boolean) => {
      const transport = createHttpTransport({ allowPrivate, lookup });
      try {
        return await deliverWebhook({
          url,
          event: event(),
          key: parseWebhookSecret(SECRET),
          now: Date.now(),
          transport,
          allowPrivateUrls: true,
        });
      } finally {
        transport.close();
      }
    };
    // Act
    const refused = await attempt(false);
    const control = await attempt(true);
    // Assess
    expect(refused).toMatchObject({ ok: false, reason: 'url_not_allowed', status: null });
    expect(control).toEqual({ ok: true, status: 200 });
    expect(main.requests).toHaveLength(1); // only the control attempt arrived
  });

  it('completes events that have no destination (dropped by design)', async () => {
    vi.stubEnv('WEBHOOK_URL', '');
    rebuildRoot();
    try {
      const warning = 'webhook events dropped: no WEBHOOK_URL';
      const warningsBefore = capturedOutput().split(warning).length;
      await send(event(), event());
      const { failed } = await invoke(await receive());
      expect(failed).toEqual([]);
      expect(main.requests).toHaveLength(0);
      expect(queueDepth('webhooks')).toBe(0);
      expect(capturedOutput().split(warning).length - warningsBefore).toBe(1); // once per integration
    } finally {
      vi.stubEnv('WEBHOOK_URL', main.url);
      rebuildRoot();
    }
  });
});

// One attempt against receivers that misbehave at the HTTP level (the status alone decides).
describe('deliverWebhook over real HTTP', () => {
  let respond: (res: ServerResponse) => void = (res) => res.writeHead(200).end();
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      respond(res);
    });
  });
  let url = '';
  const transport = createHttpTransport({ allowPrivate: true });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    transport.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    received = 0;
  });

  const deliver = (target = url, timeoutMs = 2000) =>
    deliverWebhook({
      url: target,
      event: buildEvent(
        'connection.reauth_required',
        { integrationId: 'plain', connectionId: 'user-1', provider: 'google' },
        { status: 'needs_reauth', consecutiveFailures: 1, accessTokenExpiresAt: null, error: null },
        Date.now(),
      ),
      key: parseWebhookSecret(SECRET),
      now: Date.now(),
      transport,
      allowPrivateUrls: true,
      timeoutMs,
    });

  it('is delivered on a 2xx whose body is large or never ends: only the status counts', async () => {
    respond = (res) => res.writeHead(200).end('z'.repeat(100_000));
    expect(await deliver()).toEqual({ ok: true, status: 200 });
    respond = (res) => {
      res.writeHead(202);
      res.write('still talking'); // never ends
    };
    expect(await deliver(url, 200)).toEqual({ ok: true, status: 202 });
    expect(received).toBe(2);
  });

  it('a receiver that never answers is a timeout', async () => {
    respond = () => undefined;
    expect(await deliver(url, 200)).toEqual({ ok: false, status: null, reason: 'timeout' });
  });

  it('a refused connection is a network failure with its code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await deliver(`http://127.0.0.1:${port}/hook`)).toEqual({
      ok: false,
      status: null,
      reason: 'network',
      detail: 'ECONNREFUSED',
    });
  });
});
