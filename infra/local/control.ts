/**
 * The local runtime's operator channel: what EventBridge Scheduler's console and SQS's redrive are
 * on AWS, served by the local HTTP server beside the API under `/local/ops/` (never part of the
 * Lambda API; the server listens on 127.0.0.1 only). Every request needs an admin key of the
 * service (`Authorization: Bearer`), checked like the API checks it. `npm run ops` calls it:
 *
 *   GET  /local/ops/schedule              the scan timer's state and counters
 *   POST /local/ops/schedule/pause        stop scheduled scans (kept across restarts)
 *   POST /local/ops/schedule/resume       start them again
 *   GET  /local/ops/dlq                   both DLQs: depth and a summary of each message (ids only)
 *   POST /local/ops/dlq/{refresh|webhooks}/redrive   move the DLQ's messages back to their source queue
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '../../shared/ports/logger';
import type { InspectedMessage } from './sqs';
import type { ScanTimer } from './timer';

export const CONTROL_PREFIX = '/local/ops/';
/** Present while an operator has paused the scheduled scans: its content is when. */
export const SCHEDULE_PAUSED_FILE = 'schedule-paused';

/** The two DLQs with a source queue (the names `ops dlq` takes). */
export const DLQ_NAMES = ['refresh', 'webhooks'] as const;
export type DlqName = (typeof DLQ_NAMES)[number];

export interface ControlQueue {
  /** fauxqs queue names, for inspection. */
  readonly sourceName: string;
  readonly dlqName: string;
  readonly sourceUrl: string;
  readonly dlqUrl: string;
}

export interface ControlOptions {
  readonly timer: ScanTimer;
  readonly sqs: SQSClient;
  /** Every message of a queue without consuming any (fauxqs's inspection). */
  readonly inspect: (queueName: string) => Promise<InspectedMessage[] | undefined>;
  readonly queues: Readonly<Record<DlqName, ControlQueue>>;
  /** Whether the presented key is an admin key of this service. */
  readonly isAdmin: (key: string) => Promise<boolean>;
  readonly dataDir: string;
  readonly logger: Logger;
}

export type ControlHandler = (
  req: IncomingMessage,
  body: Buffer,
) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;

/** Whether the scheduled scans were paused before the last stop (so they stay paused). */
export async function wasPaused(dataDir: string): Promise<boolean> {
  return readFile(join(dataDir, SCHEDULE_PAUSED_FILE), 'utf8').then(
    () => true,
    () => false,
  );
}

/** The handler for `/local/ops/*`; undefined for any other path (the API's). */
export function controlHandler(options: ControlOptions): ControlHandler {
  return async (req) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!path.startsWith(CONTROL_PREFIX)) return undefined;
    const key = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (key === undefined || !(await options.isAdmin(key)))
      return error(401, 'unauthorized', 'an admin API key of this service is required');
    const route = `${req.method ?? 'GET'} ${path.slice(CONTROL_PREFIX.length)}`;
    try {
      if (route === 'GET schedule') return json(200, scheduleView(options.timer));
      if (route === 'POST schedule/pause') {
        options.timer.pause();
        const view = scheduleView(options.timer);
        await writeFile(join(options.dataDir, SCHEDULE_PAUSED_FILE), `${view.paused_at}\n`, { mode: 0o600 });
        options.logger.warn('scheduled scans paused by an operator (npm run ops -- schedule resume)');
        return json(200, view);
      }
      if (route === 'POST schedule/resume') {
        options.timer.resume();
        await rm(join(options.dataDir, SCHEDULE_PAUSED_FILE), { force: true });
        options.logger.info('scheduled scans resumed by an operator');
        return json(200, scheduleView(options.timer));
      }
      if (route === 'GET dlq') {
        const queues = [];
        for (const name of DLQ_NAMES) queues.push(await dlqView(options, name));
        return json(200, { queues });
      }
      const redrive = /^POST dlq\/([a-z]+)\/redrive$/.exec(route)?.[1];
      if (redrive !== undefined) {
        if (!(DLQ_NAMES as readonly string[]).includes(redrive))
          return error(404, 'not_found', `no DLQ ${redrive}: expected one of ${DLQ_NAMES.join(', ')}`);
        const queue = options.queues[redrive as DlqName];
        const result = await moveMessages(options.sqs, queue.dlqUrl, queue.sourceUrl);
        options.logger.info(`redrove ${result.moved} message(s) from the ${redrive} DLQ`, {
          failed: result.failed,
        });
        return json(200, { queue: redrive, ...result });
      }
      return error(404, 'not_found', `no local operator route ${route}`);
    } catch (e) {
      options.logger.error('local operator request failed', {
        route,
        error: e instanceof Error ? e.message : String(e),
      });
      return error(500, 'internal_error', e instanceof Error ? e.message : String(e));
    }
  };
}

function scheduleView(timer: ScanTimer) {
  const s = timer.status();
  return {
    state: s.state,
    interval_seconds: s.intervalMs / 1000,
    paused_at: s.pausedAt,
    scheduled_runs: s.scheduledRuns,
    manual_runs: s.manualRuns,
    ticks_while_paused: s.ticksWhilePaused,
    last_run_at: s.lastRunAt,
  };
}

/** At most this many message summaries per DLQ in `GET /local/ops/dlq`. */
const SHOWN_MESSAGES = 20;

async function dlqView(options: ControlOptions, name: DlqName) {
  const queue = options.queues[name];
  const out = await options.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const messages = (await options.inspect(queue.dlqName)) ?? [];
  return {
    name,
    dlq: queue.dlqName,
    source: queue.sourceName,
    visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
    in_flight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
    messages: messages.slice(0, SHOWN_MESSAGES).map(summarize),
  };
}

/**
 * What a dead letter is about, from its body: refresh tasks and webhook events carry identifiers and
 * event payloads only (never a token), and only identifiers are shown.
 */
export function summarize(message: Pick<InspectedMessage, 'messageId' | 'body' | 'approximateReceiveCount'>) {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    body = undefined;
  }
  const field = (value: unknown, ...path: string[]): string | undefined => {
    let at = value;
    for (const key of path)
      at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined;
    return typeof at === 'string' ? at : undefined;
  };
  return {
    message_id: message.messageId,
    receive_count: message.approximateReceiveCount,
    integration_id: field(body, 'integration_id') ?? field(body, 'body', 'data', 'integration_id') ?? null,
    connection_id: field(body, 'connection_id') ?? field(body, 'body', 'data', 'connection_id') ?? null,
    event_type: field(body, 'body', 'type') ?? null,
    event_id: field(body, 'id') ?? null,
    parseable: body !== undefined,
  };
}

export interface MoveResult {
  /** Sent to the destination and deleted from the source. */
  readonly moved: number;
  /** Not accepted by the destination: left in the source (visible again after the receive's timeout). */
  readonly failed: number;
}

/**
 * The local `StartMessageMoveTask`: receives from `fromUrl`, sends each message (body and
 * attributes) to `toUrl`, and deletes from `fromUrl` only what the destination accepted. A message
 * that could not be sent stays in the source, invisible for `visibilityTimeoutSeconds`, so one call
 * ends even when the destination refuses everything.
 */
export async function moveMessages(
  sqs: SQSClient,
  fromUrl: string,
  toUrl: string,
  options: { readonly visibilityTimeoutSeconds?: number; readonly maxMessages?: number } = {},
): Promise<MoveResult> {
  const max = options.maxMessages ?? 100_000;
  let moved = 0;
  let failed = 0;
  while (moved + failed < max) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: fromUrl,
        MaxNumberOfMessages: Math.min(10, max - moved - failed),
        WaitTimeSeconds: 0,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 30,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: toUrl,
        Entries: messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          ...(m.MessageAttributes === undefined || Object.keys(m.MessageAttributes).length === 0
            ? {}
            : { MessageAttributes: m.MessageAttributes }),
        })),
      }),
    );
    const accepted = new Set((sent.Successful ?? []).map((s) => s.Id));
    const done = messages.flatMap((m, i) =>
      accepted.has(String(i)) && m.ReceiptHandle !== undefined
        ? [{ id: String(i), handle: m.ReceiptHandle }]
        : [],
    );
    failed += messages.length - done.length;
    if (done.length > 0) {
      // A copy whose delete failed is in both queues and moves again next time: both consumers
      // are idempotent (a refresh task finds nothing due, a receiver de-duplicates on webhook-id).
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: fromUrl,
          Entries: done.map((d) => ({ Id: d.id, ReceiptHandle: d.handle })),
        }),
      );
      moved += done.length;
    }
  }
  return { moved, failed };
}

function json(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

function error(statusCode: number, code: string, message: string): APIGatewayProxyStructuredResultV2 {
  return json(statusCode, { error: { code, message } });
}
