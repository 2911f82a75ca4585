import { randomBytes } from 'node:crypto';
import type { Connection, ConnectionStatus } from '../domain/connection';
import type { EventType, OutboxEvent } from '../domain/events';
import type { LastError } from '../domain/refresh-failure';
import { isoTime } from '../policy/limits';

export function newEventId(): string {
  return `evt_${randomBytes(16).toString('base64url')}`;
}

/** Builds the api.md webhook event for a state transition. Contains no secret. */
export function buildEvent(
  type: EventType,
  connection: Pick<Connection, 'integrationId' | 'connectionId' | 'provider'> &
    Partial<Pick<Connection, 'status'>>,
  state: {
    status: ConnectionStatus;
    consecutiveFailures: number;
    accessTokenExpiresAt: number | null;
    error: LastError | null;
    /** `connection.reauth_due` only (api.md v1.1). */
    reauthDueAt?: number;
  },
  now: number,
): OutboxEvent {
  return {
    id: newEventId(),
    ...(connection.status === undefined ? {} : { from: connection.status }),
    body: {
      type,
      timestamp: isoTime(now),
      data: {
        integration_id: connection.integrationId,
        connection_id: connection.connectionId,
        provider: connection.provider,
        status: state.status,
        consecutive_failures: state.consecutiveFailures,
        access_token_expires_at:
          state.accessTokenExpiresAt === null ? null : isoTime(state.accessTokenExpiresAt),
        error:
          state.error === null
            ? null
            : {
                code: state.error.code,
                message: state.error.message,
                provider_error: state.error.provider_error,
                provider_error_description: state.error.provider_error_description,
              },
        ...(state.reauthDueAt === undefined ? {} : { reauth_due_at: isoTime(state.reauthDueAt) }),
      },
    },
  };
}
