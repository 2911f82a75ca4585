/**
 * Redelivery schedule of the webhook queue (api.md "Delivery": retried with backoff for at least a
 * day, then the dead-letter queue; reliability.md promise 13).
 *
 * SQS drives the retries: a failed record is not deleted, and the sender first calls
 * ChangeMessageVisibility so the message reappears after {@link redeliveryDelaySeconds} of its
 * `ApproximateReceiveCount`. After {@link WEBHOOK_MAX_RECEIVE_COUNT} receives the redrive policy
 * moves it to the DLQ. Receive n (1-based) that fails waits:
 *
 * | receive | 1    | 2    | 3    | 4    | 5    | 6     | 7     | 8   | 9 … |
 * |---------|------|------|------|------|------|-------|-------|-----|-----|
 * | delay   | 30 s | 1 min| 2 min| 4 min| 8 min| 16 min| 32 min| 1 h | 2 h |
 *
 * Short first steps ride out a deploy or a blip; the 2 h cap keeps a recovered receiver from
 * waiting long, and stays far below the SQS limit of 12 h per visibility change. With 24 receives
 * the last attempt comes ≈ 32 h after the first (≥ 24 h even if a few receives are lost to
 * throttling or cold starts), and the message reaches the DLQ ≈ 34 h after it was first received.
 * Lambda time per attempt (≤ the 15 s delivery timeout) only lengthens these spans.
 */

/** Largest visibility timeout SQS accepts (12 h). */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;

/** The redrive policy's `maxReceiveCount` the infra must configure on the webhook queue. */
export const WEBHOOK_MAX_RECEIVE_COUNT = 24;

/**
 * Message retention of the webhook queue: 4 days, well above {@link deadLetterAfterSeconds}
 * (≈ 34 h) so no event expires before its retries are done, with room for a paused consumer.
 */
export const WEBHOOK_QUEUE_RETENTION_SECONDS = 4 * 24 * 3_600;

/**
 * Retention of the webhook DLQ: 14 days (the SQS maximum). On a standard queue a redriven
 * message keeps its original enqueue time, so the DLQ must retain longer than the source queue.
 */
export const WEBHOOK_DLQ_RETENTION_SECONDS = 14 * 24 * 3_600;

/** The guarantee the schedule is built for: attempts keep coming for at least a day. */
export const WEBHOOK_MIN_RETRY_SPAN_SECONDS = 24 * 3_600;

const FIRST_DELAY_SECONDS = 30;
const DOUBLINGS = 7; // 30 s · 2^6 = 32 min is the last doubled step
const HOUR_STEP_SECONDS = 3_600;
const CAP_SECONDS = 7_200;

/** The first redelivery delay of the default schedule; `WEBHOOK_RETRY_FIRST_DELAY_SECONDS` scales it. */
export const DEFAULT_FIRST_DELAY_SECONDS = FIRST_DELAY_SECONDS;

/**
 * Seconds the message stays invisible after its `receiveCount`-th receive failed.
 * @param receiveCount SQS `ApproximateReceiveCount` (1 on the first delivery); values below 1
 *   (or not a number, e.g. a missing attribute) are treated as 1.
 * @param firstDelaySeconds scales the whole schedule (default 30 s); a shorter one suits local
 *   runs and tests, never below 1 s per step nor above the SQS limit.
 */
export function redeliveryDelaySeconds(
  receiveCount: number,
  firstDelaySeconds = FIRST_DELAY_SECONDS,
): number {
  const n = Number.isFinite(receiveCount) ? Math.max(1, Math.floor(receiveCount)) : 1;
  const scale = firstDelaySeconds / FIRST_DELAY_SECONDS;
  let base: number;
  if (n <= DOUBLINGS) base = FIRST_DELAY_SECONDS * 2 ** (n - 1);
  else if (n === DOUBLINGS + 1) base = HOUR_STEP_SECONDS;
  else base = CAP_SECONDS;
  return Math.min(SQS_MAX_VISIBILITY_SECONDS, Math.max(1, Math.round(base * scale)));
}

function sumDelays(receives: number): number {
  let total = 0;
  for (let n = 1; n <= receives; n++) total += redeliveryDelaySeconds(n);
  return total;
}

/**
 * Seconds from the first attempt to the last one when every attempt fails: the delays after
 * receives 1 … maxReceiveCount − 1 (processing time not counted, so the real span is longer).
 */
export function retrySpanSeconds(maxReceiveCount: number = WEBHOOK_MAX_RECEIVE_COUNT): number {
  return sumDelays(maxReceiveCount - 1);
}

/**
 * Seconds from the first receive until SQS moves the message to the DLQ: the last failed receive
 * also waits out its delay before the next receive redrives it. The queue's retention must exceed it.
 */
export function deadLetterAfterSeconds(maxReceiveCount: number = WEBHOOK_MAX_RECEIVE_COUNT): number {
  return sumDelays(maxReceiveCount);
}
