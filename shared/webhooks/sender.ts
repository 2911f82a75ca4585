import { parseMessage, type WebhookMessage, webhookMessageSchema } from '../domain/messages';
import { ServiceError } from '../errors';
import type { Clock } from '../ports/clock';
import type { HistoryRecorder } from '../ports/history';
import type { HttpTransport } from '../ports/http';
import type { IntegrationStore } from '../ports/integrations';
import type { Logger } from '../ports/logger';
import type { MetricsSink } from '../ports/metrics';
import type { Redelivery } from '../ports/redelivery';
import { type DeliveryFailureReason, deliverWebhook } from './deliver';
import { redeliveryDelaySeconds, WEBHOOK_MAX_RECEIVE_COUNT } from './retry';
import type { WebhookSigningKeys } from './signing';

/**
 * Per-integration `webhook_url` overrides, cached per process for `ttlMs` (one read per integration
 * per minute, not per event). Concurrent misses share one read; failed reads are not cached.
 */
export class WebhookDestinations {
  private readonly cache = new Map<string, { at: number; url: Promise<string | null> }>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly store: Pick<IntegrationStore, 'get'>,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly ttlMs = 60_000,
  ) {}

  /** The integration's override, else null (also for an integration deleted since). @throws ServiceError `store_unavailable` */
  override(integrationId: string): Promise<string | null> {
    const hit = this.cache.get(integrationId);
    if (hit !== undefined && this.clock.now() - hit.at < this.ttlMs) return hit.url;
    const url = this.store.get(integrationId).then((stored) => stored?.config.webhook_url ?? null);
    this.cache.set(integrationId, { at: this.clock.now(), url });
    url.catch(() => this.cache.delete(integrationId));
    return url;
  }

  /** True the first time it is called for an integration in this process (warn once, not per event). */
  firstMiss(integrationId: string): boolean {
    if (this.warned.has(integrationId)) return false;
    this.warned.add(integrationId);
    return true;
  }
}

export interface WebhookSenderDeps {
  /** HMAC key of the `whsec_` secret. Never logged. */
  readonly key: WebhookSigningKeys;
  /** `WEBHOOK_URL`: where events go when their integration sets no `webhook_url`. */
  readonly defaultUrl: string | undefined;
  readonly allowPrivateUrls: boolean;
  readonly destinations: WebhookDestinations;
  readonly redelivery: Redelivery;
  /** Outbound HTTP with the connect-time SSRF guard (see `createHttpTransport`). */
  readonly transport: HttpTransport;
  readonly clock: Pick<Clock, 'now'>;
  readonly logger: Logger;
  readonly metrics: MetricsSink;
  /** @default 15000 */
  readonly timeoutMs?: number;
  /** Scales the redelivery schedule (see {@link redeliveryDelaySeconds}). @default 30 */
  readonly firstRetryDelaySeconds?: number;
  /** Records each event's delivery outcome in its connection's history (api.md v1.1); best effort. */
  readonly history?: Pick<HistoryRecorder, 'delivery'>;
}

/** The slice of an SQS record the sender reads (an `aws-lambda` SQSRecord fits). */
export interface WebhookRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: { readonly ApproximateReceiveCount: string };
}

/** An attempt failed; the message was delayed and is reported as a batch item failure. */
export class WebhookDeliveryError extends Error {
  constructor(
    eventId: string,
    readonly reason: DeliveryFailureReason,
    readonly status: number | null,
    readonly attempt: number,
    readonly retryInSeconds: number,
  ) {
    super(`webhook ${eventId} not delivered (${reason} ${status ?? '-'}) on attempt ${attempt}`);
    this.name = 'WebhookDeliveryError';
  }
}

/** What happened to a record that did not throw. */
export type WebhookRecordOutcome =
  | { readonly delivered: true; readonly status: number }
  | { readonly delivered: false; readonly dropped: 'no_destination' };

/**
 * Delivers one queued event to its destination: the integration's `webhook_url`, else the default
 * `WEBHOOK_URL`. With neither, the event is dropped (completed, counted as `WebhookDropped`, and
 * warned about once per integration): there is nobody to tell, and keeping it would only fill the
 * DLQ. A failed attempt delays the message per {@link redeliveryDelaySeconds} of its receive count
 * and throws, so the batch processor reports it and SQS redelivers it with the same `webhook-id`;
 * after `WEBHOOK_MAX_RECEIVE_COUNT` receives the redrive policy moves it to the DLQ.
 * Logs and metrics carry ids, type, status and attempt, never the secret, signature or body.
 * @throws ServiceError `invalid_message` for a malformed body (retried until the DLQ takes it),
 *   WebhookDeliveryError for a failed attempt, ServiceError `store_unavailable` when the override lookup fails.
 */
export async function processWebhookRecord(
  deps: WebhookSenderDeps,
  record: WebhookRecord,
): Promise<WebhookRecordOutcome> {
  const attempt = Math.max(1, Number.parseInt(record.attributes.ApproximateReceiveCount, 10) || 1);
  const event = parseRecord(deps.logger, record, attempt);
  const { data } = event.body;
  const fields = {
    event_id: event.id,
    event_type: event.body.type,
    integration_id: data.integration_id,
    connection_id: data.connection_id,
    attempt,
  };
  const override = await deps.destinations.override(data.integration_id);
  const url = override ?? deps.defaultUrl;
  if (url === undefined) {
    deps.metrics.count('WebhookDropped', 1, { reason: 'no_destination' });
    if (deps.destinations.firstMiss(data.integration_id)) {
      deps.logger.warn('webhook events dropped: no WEBHOOK_URL and no integration webhook_url', fields);
    }
    return { delivered: false, dropped: 'no_destination' };
  }
  const started = deps.clock.now();
  const result = await deliverWebhook({
    url,
    event,
    key: deps.key,
    now: started,
    transport: deps.transport,
    allowPrivateUrls: deps.allowPrivateUrls,
    ...(deps.timeoutMs === undefined ? {} : { timeoutMs: deps.timeoutMs }),
  });
  const durationMs = deps.clock.now() - started;
  deps.metrics.milliseconds('WebhookDeliveryMs', durationMs);
  const destination = override === null ? 'default' : 'integration';
  if (result.ok) {
    deps.metrics.count('WebhookDelivered');
    const done = { ...fields, destination, status: result.status, duration_ms: durationMs };
    deps.logger.info('webhook delivered', done);
    await recordDelivery(deps, event, 'delivered', fields);
    return { delivered: true, status: result.status };
  }
  deps.metrics.count('WebhookFailed', 1, { reason: result.reason });
  const retryIn = redeliveryDelaySeconds(attempt, deps.firstRetryDelaySeconds);
  const last = attempt >= WEBHOOK_MAX_RECEIVE_COUNT;
  const { reason, status, detail } = result;
  const failure = { ...fields, destination, reason, status, detail, duration_ms: durationMs };
  try {
    await deps.redelivery.after(record.receiptHandle, retryIn);
  } catch (error) {
    // The record still fails; it then comes back after the queue's own visibility timeout.
    deps.logger.warn('could not delay webhook redelivery', { ...fields, error: (error as Error).message });
  }
  if (last) {
    deps.logger.error('webhook delivery failed for the last time; the event goes to the DLQ', failure);
    await recordDelivery(deps, event, 'dead_lettered', fields);
  } else deps.logger.warn('webhook delivery failed; will retry', { ...failure, retry_in_seconds: retryIn });
  throw new WebhookDeliveryError(event.id, reason, status, attempt, retryIn);
}

/** One cheap write; a failure to record never changes the delivery's outcome. */
async function recordDelivery(
  deps: WebhookSenderDeps,
  event: WebhookMessage,
  delivery: 'delivered' | 'dead_lettered',
  fields: Record<string, unknown>,
): Promise<void> {
  if (deps.history === undefined) return;
  try {
    await deps.history.delivery(event, delivery);
  } catch (error) {
    deps.logger.warn('webhook delivery not recorded in history', {
      ...fields,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
}

/** Parses the body; a malformed one is poison: it throws on every receive until the DLQ takes it. */
function parseRecord(logger: Logger, record: WebhookRecord, attempt: number): WebhookMessage {
  try {
    return parseMessage(webhookMessageSchema, record.body);
  } catch (error) {
    // parseMessage names offending fields only, never values, so the problem is safe to log.
    const problem = (error as Error).message;
    logger.error('webhook message is malformed', { message_id: record.messageId, attempt, problem });
    throw new ServiceError('invalid_message', `webhook message ${record.messageId}: ${problem}`, {
      cause: error,
    });
  }
}
