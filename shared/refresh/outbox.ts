import type { ConnectionKey } from '../domain/ids';
import type { EventPublisher } from '../ports/events';
import type { HistoryRecorder } from '../ports/history';
import type { Logger } from '../ports/logger';
import type { ConnectionStore, StoredConnection } from '../ports/store';

/**
 * Publishes a connection's outbox and removes what was published. The events were written in the
 * same conditional write as the state change, so a crash between the two loses nothing: whoever
 * next sees a non-empty outbox (refresher, scheduler) publishes it again. Receivers de-duplicate by
 * `webhook-id` (the event id), as Standard Webhooks intends for at-least-once delivery.
 * Never throws: a failed publish is logged and left for the next attempt.
 */
export async function publishOutbox(
  deps: { store: ConnectionStore; publisher: EventPublisher; logger: Logger; history?: HistoryRecorder },
  connection: StoredConnection,
): Promise<number> {
  if (connection.outbox.length === 0) return 0;
  const key: ConnectionKey = connection;
  if (deps.history !== undefined) {
    // History first (api.md v1.1: transitions with their event ids and delivery), so the sender's
    // delivery record finds it; idempotent, so a republish writes it again harmlessly. Best effort.
    try {
      await deps.history.events(key, connection.outbox);
    } catch (error) {
      deps.logger.warn('history write failed', {
        integration_id: key.integrationId,
        connection_id: key.connectionId,
        error: error instanceof Error ? error.name : 'unknown',
      });
    }
  }
  try {
    await deps.publisher.publish(connection.outbox);
  } catch (error) {
    deps.logger.warn('event publish failed; kept in the outbox for republishing', {
      integration_id: key.integrationId,
      connection_id: key.connectionId,
      events: connection.outbox.length,
      error: error instanceof Error ? error.name : 'unknown',
    });
    return 0;
  }
  try {
    await deps.store.removeOutboxEvents(
      key,
      connection.outbox.map((e) => e.id),
    );
  } catch (error) {
    // Published but not removed: a later republish sends duplicates with the same webhook-id.
    deps.logger.warn('outbox cleanup failed', {
      integration_id: key.integrationId,
      connection_id: key.connectionId,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
  return connection.outbox.length;
}
