import type { Connection } from '../domain/connection';
import type { OutboxEvent } from '../domain/events';
import type { RefreshSettings } from '../domain/integration';
import {
  clocksDeadline,
  configuredReauthDueAt,
  type GrantClocks,
  reauthWarningDue,
  withinClocks,
} from '../policy/grant-clocks';
import type { ConnectionPatch } from '../ports/store';
import { buildEvent } from './events';

/**
 * The grant-clock part of a write (api.md v1.1), pure: the clocks to store, the due time moved to
 * their deadline, and `connection.reauth_due` when its time has come for a grant not yet warned.
 * The warning goes into a write without a state transition only (each write carries at most one
 * kind of news); a transition write leaves it to the next write, which the due time brings soon.
 */
export function withGrantClocks(
  connection: Pick<Connection, 'integrationId' | 'connectionId' | 'provider'> &
    Partial<Pick<Connection, 'status'>>,
  patch: ConnectionPatch,
  clocks: GrantClocks,
  state: {
    readonly warned: boolean;
    readonly settings: RefreshSettings;
    readonly now: number;
    /** False for failures: their backoff (a Retry-After above all) alone sets the due time. */
    readonly schedule?: boolean;
  },
): ConnectionPatch {
  const { settings, now } = state;
  const warn =
    patch.status !== 'needs_reauth' &&
    patch.events.length === 0 &&
    reauthWarningDue(settings, clocks, state.warned, now);
  const events: OutboxEvent[] = [...patch.events];
  if (warn && clocks.reauthDueAt !== null) {
    events.push(
      buildEvent(
        'connection.reauth_due',
        connection,
        {
          status: patch.status,
          consecutiveFailures: patch.consecutiveFailures,
          accessTokenExpiresAt: patch.accessTokenExpiresAt === undefined ? null : patch.accessTokenExpiresAt,
          error: null,
          reauthDueAt: clocks.reauthDueAt,
        },
        now,
      ),
    );
  }
  const warned = state.warned || warn;
  const scheduled =
    state.schedule !== false && patch.status !== 'needs_reauth' && patch.nextRefreshAt !== null;
  return {
    ...patch,
    refreshTokenExpiresAt: clocks.refreshTokenExpiresAt,
    reauthDueAt: clocks.reauthDueAt,
    ...(warn ? { reauthWarned: true } : {}),
    nextRefreshAt:
      scheduled && patch.nextRefreshAt !== null
        ? withinClocks(patch.nextRefreshAt, clocksDeadline(settings, clocks, warned, now), now)
        : patch.nextRefreshAt,
    events,
  };
}

/** The clocks as stored, the configured grant lifetime applied afresh (an integration may change it). */
export function storedClocks(connection: Connection, settings: RefreshSettings): GrantClocks {
  const authorizedAt = connection.authorizedAt ?? connection.createdAt;
  return {
    refreshTokenExpiresAt: connection.refreshTokenExpiresAt ?? null,
    reauthDueAt: configuredReauthDueAt(settings, authorizedAt) ?? connection.reauthDueAt ?? null,
  };
}
