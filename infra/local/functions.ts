import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { type ApiRoot, createApiRoot } from '../../functions/api/deps';
import { createApiHandler } from '../../functions/api/handler';
import { createRefresherRoot, type RefresherRoot } from '../../functions/refresher/deps';
import { createRefresherHandler } from '../../functions/refresher/handler';
import { createSchedulerRoot, type SchedulerRoot } from '../../functions/scheduler/deps';
import { createSchedulerHandler } from '../../functions/scheduler/handler';
import { createWebhookSenderRoot, type WebhookSenderRoot } from '../../functions/webhook-sender/deps';
import { createWebhookSenderHandler } from '../../functions/webhook-sender/handler';
import type { Config } from '../../shared/config/config';
import { LOCAL_ACCOUNT_ID, lambdaContext, withTimeout } from './context';
import type { ApiHandler } from './http';
import type { SqsHandler } from './poller';
import { LOCAL_REGION } from './sqs';

/** Name, timeout and poller concurrency of each function, as the local runtime runs them. */
export const LOCAL_FUNCTIONS = {
  scheduler: { name: 'scheduler', timeoutMs: 60_000 },
  refresher: { name: 'refresher', timeoutMs: 30_000, concurrency: 2 },
  webhookSender: { name: 'webhook-sender', timeoutMs: 30_000, concurrency: 1 },
  // API Gateway's integration timeout is 30 s.
  api: { name: 'api', timeoutMs: 29_000 },
} as const;

export type ScheduledHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalHandlers {
  readonly api: ApiHandler;
  readonly scheduler: ScheduledHandler;
  readonly refresher: SqsHandler;
  readonly webhookSender: SqsHandler;
}

/** The four functions as the local runtime runs them: handlers on roots built once per start. */
export interface LocalFunctions {
  readonly handlers: LocalHandlers;
  /** Each function's dependencies, as its composition root built them (tests reach the ports here). */
  readonly roots: {
    readonly api: ApiRoot;
    readonly refresher: RefresherRoot;
    readonly scheduler: SchedulerRoot;
    readonly webhookSender: WebhookSenderRoot;
  };
  /** Closes every root's clients. */
  dispose(): void;
}

/** Builds each function through its own composition root, as a Lambda container would. */
export async function buildFunctions(config: Config): Promise<LocalFunctions> {
  const [api, refresher, scheduler, webhookSender] = await Promise.all([
    createApiRoot(config),
    createRefresherRoot(config),
    createSchedulerRoot(config),
    createWebhookSenderRoot(config),
  ]);
  return {
    handlers: {
      api: createApiHandler(async () => api),
      refresher: createRefresherHandler(async () => refresher),
      scheduler: createSchedulerHandler(async () => scheduler),
      webhookSender: createWebhookSenderHandler(async () => webhookSender),
    },
    roots: { api, refresher, scheduler, webhookSender },
    dispose: () => {
      for (const root of [api, refresher, scheduler, webhookSender]) root.dispose();
    },
  };
}

/** One scheduler invocation, as EventBridge Scheduler makes it (with the function's timeout). */
export function invokeScheduler(handler: ScheduledHandler): Promise<unknown> {
  const { name, timeoutMs } = LOCAL_FUNCTIONS.scheduler;
  const context = lambdaContext({ functionName: name, timeoutMs, region: LOCAL_REGION });
  return withTimeout(handler(scheduledEvent(), context), timeoutMs, name);
}

/** What EventBridge Scheduler's Lambda target delivers; the handler ignores it, but keep it real. */
function scheduledEvent() {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.scheduler',
    account: LOCAL_ACCOUNT_ID,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: [`arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:schedule/default/local-scan`],
    detail: {},
  };
}
