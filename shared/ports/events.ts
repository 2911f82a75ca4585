import type { OutboxEvent } from '../domain/events';

/** Sends state-transition events on towards the webhook sender (SQS on AWS and locally). */
export interface EventPublisher {
  /** Resolves once every event is durably accepted; throws otherwise (the outbox keeps them). */
  publish(events: readonly OutboxEvent[]): Promise<void>;
}
