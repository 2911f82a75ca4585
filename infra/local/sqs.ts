import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import {
  WEBHOOK_DLQ_RETENTION_SECONDS,
  WEBHOOK_MAX_RECEIVE_COUNT,
  WEBHOOK_QUEUE_RETENTION_SECONDS,
} from '../../shared/webhooks/retry';

/** Region of the local stand-ins: a real one, so the SDK's endpoint and ARN logic behaves as on AWS. */
export const LOCAL_REGION = 'us-east-1';

/** A message as fauxqs's inspection endpoint reports it (ready, delayed or in flight). */
export interface InspectedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes: Record<
    string,
    { DataType: string; StringValue?: string; BinaryValue?: string }
  >;
  readonly approximateReceiveCount: number;
}

export interface LocalSqs {
  readonly endpoint: string;
  readonly client: SQSClient;
  /** Every message of a queue, visible or not, without consuming any (fauxqs-specific). */
  inspect(queueName: string): Promise<InspectedMessage[] | undefined>;
  close(): Promise<void>;
}

/** An SQS client for a local endpoint (dummy credentials; nothing leaves the machine). */
export function localSqsClient(endpoint: string): SQSClient {
  return new SQSClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * Starts fauxqs in-process on 127.0.0.1 (port 0: the OS picks one). Its own `startFauxqs` always
 * listens on 0.0.0.0, which would expose an unauthenticated queue to the network, so the app is
 * built with `buildApp` and bound to loopback here. Messages live in memory only.
 */
export async function startLocalSqs(options: { port?: number } = {}): Promise<LocalSqs> {
  const app = buildApp({ logger: false, defaultRegion: LOCAL_REGION });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localSqsClient(endpoint);
  return {
    endpoint,
    client,
    async inspect(queueName) {
      const res = await app.inject({
        method: 'GET',
        url: `/_fauxqs/queues/${encodeURIComponent(queueName)}`,
      });
      if (res.statusCode === 404) return undefined;
      const { messages } = res.json() as {
        messages: {
          ready: InspectedMessage[];
          delayed: InspectedMessage[];
          inflight: { message: InspectedMessage }[];
        };
      };
      return [...messages.inflight.map((m) => m.message), ...messages.ready, ...messages.delayed];
    },
    close: async () => {
      client.destroy();
      await app.close();
    },
  };
}

export interface QueueRef {
  readonly url: string;
  readonly arn: string;
}

export interface QueueWithDlqOptions {
  readonly name: string;
  readonly dlqName: string;
  /** Receives before SQS moves a message to the DLQ (the move happens on the next receive). */
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
  /** @default 4 days */
  readonly retentionSeconds?: number;
  /** Longer than the source queue's, so a redriven message never expires sooner than it would have. @default 14 days */
  readonly dlqRetentionSeconds?: number;
}

/** Creates a queue and its DLQ with a RedrivePolicy (idempotent for identical attributes). */
export async function createQueueWithDlq(
  client: SQSClient,
  options: QueueWithDlqOptions,
): Promise<{ queue: QueueRef; dlq: QueueRef }> {
  const dlq = await createQueue(client, options.dlqName, {
    MessageRetentionPeriod: String(options.dlqRetentionSeconds ?? 14 * 86_400),
  });
  const queue = await createQueue(client, options.name, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(options.retentionSeconds ?? 4 * 86_400),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: options.maxReceiveCount }),
  });
  return { queue, dlq };
}

async function createQueue(
  client: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<QueueRef> {
  const { QueueUrl: url } = await client.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  if (url === undefined) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  const out = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = out.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`queue ${name} has no QueueArn`);
  return { url, arn };
}

export interface LocalQueues {
  readonly refresh: QueueRef;
  readonly refreshDlq: QueueRef;
  readonly webhooks: QueueRef;
  readonly webhooksDlq: QueueRef;
}

export type QueueNames = { readonly [K in keyof LocalQueues]: string };

export const DEFAULT_QUEUE_NAMES: QueueNames = {
  refresh: 'refresh',
  refreshDlq: 'refresh-dlq',
  webhooks: 'webhooks',
  webhooksDlq: 'webhooks-dlq',
};

/** Refresh messages: a poison message is retried a few times, then parked for a human. */
export const REFRESH_MAX_RECEIVE_COUNT = 5;
/**
 * Visibility timeouts. On AWS the refresh queue's is 6 × the refresher's timeout (AWS's rule, for
 * retries of throttled invocations). Locally nothing throttles the pollers, so it only has to
 * outlast one invocation (the pollers' function timeout is 30 s); 60 s keeps a crashed batch's
 * retry within a minute instead of six.
 */
export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = { refresh: 60, webhooks: 60 } as const;

/**
 * Creates the four queues of the pipeline: `refresh` (maxReceiveCount 5) and `webhooks`
 * (`WEBHOOK_MAX_RECEIVE_COUNT`, 24), each with its DLQ.
 */
export async function ensureQueues(
  client: SQSClient,
  names: QueueNames = DEFAULT_QUEUE_NAMES,
): Promise<LocalQueues> {
  const refresh = await createQueueWithDlq(client, {
    name: names.refresh,
    dlqName: names.refreshDlq,
    maxReceiveCount: REFRESH_MAX_RECEIVE_COUNT,
    visibilityTimeoutSeconds: LOCAL_VISIBILITY_TIMEOUT_SECONDS.refresh,
  });
  const webhooks = await createQueueWithDlq(client, {
    name: names.webhooks,
    dlqName: names.webhooksDlq,
    // The retry schedule (shared/webhooks/retry.ts) owns these: ≥ 1 day of attempts, then the DLQ.
    maxReceiveCount: WEBHOOK_MAX_RECEIVE_COUNT,
    visibilityTimeoutSeconds: LOCAL_VISIBILITY_TIMEOUT_SECONDS.webhooks,
    retentionSeconds: WEBHOOK_QUEUE_RETENTION_SECONDS,
    dlqRetentionSeconds: WEBHOOK_DLQ_RETENTION_SECONDS,
  });
  return {
    refresh: refresh.queue,
    refreshDlq: refresh.dlq,
    webhooks: webhooks.queue,
    webhooksDlq: webhooks.dlq,
  };
}
