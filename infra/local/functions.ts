import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
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

/**
 * Imports the four handlers. Call it only after the environment is set: a function may read its
 * configuration when its module loads. Modules stay cached across restarts in one process, which
 * is fine because they build their clients through `getRuntime()`, reset on every start.
 */
export async function loadHandlers(): Promise<LocalHandlers> {
  const [api, scheduler, refresher, webhookSender] = await Promise.all([
    import('../../functions/api/handler'),
    import('../../functions/scheduler/handler'),
    import('../../functions/refresher/handler'),
    import('../../functions/webhook-sender/handler'),
  ]);
  return {
    api: api.handler,
    scheduler: scheduler.handler,
    refresher: refresher.handler,
    webhookSender: webhookSender.handler,
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
