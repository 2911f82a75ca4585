import type { Connection, ConnectionStatus } from '../domain/connection';
import type { OutboxEvent } from '../domain/events';
import type { ConnectionKey } from '../domain/ids';
import type { LastError } from '../domain/refresh-failure';

/**
 * What a lease hands its holder: the connection's `version` after the lease and its incarnation.
 * Every write after the provider call is conditioned on both.
 */
export interface Fence {
  readonly version: number;
  readonly incarnation: string | null;
}

export const fenceOf = (c: Pick<Connection, 'version' | 'incarnation'>): Fence => ({
  version: c.version,
  incarnation: c.incarnation,
});

/** A connection with its not-yet-published events (the outbox). */
export interface StoredConnection extends Connection {
  readonly outbox: readonly OutboxEvent[];
}

/**
 * Everything one conditional commit writes. Setting `secretsCiphertext` stores new credentials
 * (and bumps `credentialGeneration`); `nextRefreshAt: null` takes the connection out of the due index.
 */
export interface ConnectionPatch {
  readonly status: ConnectionStatus;
  readonly secretsCiphertext?: Uint8Array;
  readonly tokenType?: string | null;
  readonly scope?: string | null;
  readonly accessTokenExpiresAt?: number | null;
  readonly lastLifetimeSeconds?: number | null;
  readonly lastRefreshAt?: number;
  readonly nextRefreshAt: number | null;
  readonly consecutiveFailures: number;
  readonly failingSince: number | null;
  readonly lastError: LastError | null;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** The provider's account identity (`<iss>|<sub>`); absent keeps the stored one, null removes it. */
  readonly accountId?: string | null | undefined;
  /** api.md v1.1 grant clocks (epoch ms): absent keeps the stored value, null removes it. */
  readonly refreshTokenExpiresAt?: number | null | undefined;
  readonly reauthDueAt?: number | null | undefined;
  /** When the grant was authorized: absent keeps it, null removes it (then it reads as `createdAt`). */
  readonly authorizedAt?: number | null | undefined;
  /** `connection.reauth_due` written for this grant: absent keeps it, false removes the flag. */
  readonly reauthWarned?: boolean | undefined;
  /** The compact ring of recent attempts: absent keeps it, null removes it. */
  readonly attemptRing?: string | null | undefined;
  /** Recorded with new credentials: whether they include a refresh token. */
  readonly hasRefreshToken?: boolean;
  /** Set (or cleared with null) with a failure: the provider's Retry-After end. */
  readonly retryAfterUntil?: number | null;
  /** Written with the commit; read back to tell whether a commit whose answer was lost landed. */
  readonly commitId?: string;
  /** Appended to the outbox in the same write (published afterwards, republished if that fails). */
  readonly events: readonly OutboxEvent[];
}

export interface NewConnection extends ConnectionPatch {
  readonly provider: string;
  readonly secretsCiphertext: Uint8Array;
  readonly hasRefreshToken: boolean;
}

/**
 * Connection persistence. Single-item conditional writes only (no transactions): the lease and
 * every commit are fenced by `version`.
 */
export interface ConnectionStore {
  /** Strongly consistent read. */
  get(key: ConnectionKey): Promise<StoredConnection | null>;
  /**
   * Takes the refresh lease if it is free or expired, incrementing `version` (the fence), and
   * returns the item as it is after the lease (a strongly consistent re-read for free).
   * @throws LeaseHeldError while another worker holds an unexpired lease; NotFoundError.
   */
  acquireLease(
    key: ConnectionKey,
    lease: { owner: string; now: number; leaseMs: number },
  ): Promise<StoredConnection>;
  /** Gives the lease back without other changes. A stale fence is ignored (someone took over). */
  releaseLease(key: ConnectionKey, fence: Fence): Promise<void>;
  /**
   * The one write after a provider call: applies `patch`, releases the lease, increments
   * `version`, conditioned on the fence (`version` and incarnation).
   * @throws StaleFenceError when the fence is stale (never overwrites newer tokens).
   */
  commit(key: ConnectionKey, fence: Fence, patch: ConnectionPatch, now: number): Promise<StoredConnection>;
  /**
   * Creates the connection (with a new incarnation) or replaces its credentials (import, connect
   * flow), conditioned on the fence read before (`expected`, or absence when null). Takes
   * precedence over an in-flight refresh: that refresh's commit fails on its fence.
   * @throws StaleFenceError when the item changed since it was read.
   */
  put(
    key: ConnectionKey,
    expected: Fence | null,
    value: NewConnection,
    now: number,
  ): Promise<StoredConnection>;
  /**
   * Makes a connection held by a failure due now (`failing`, clearing a Retry-After), conditioned
   * on the fence read before and on no lease being held. Used when an admin fixed the cause (e.g.
   * the integration's client secret) so its connections come back without their users.
   * @throws StaleFenceError when the item changed since it was read (or a lease is held).
   */
  retryNow(key: ConnectionKey, expected: Fence, now: number): Promise<StoredConnection>;
  /** Removes published events from the outbox (by id, from the front). Best effort. */
  removeOutboxEvents(key: ConnectionKey, ids: readonly string[]): Promise<void>;
  delete(key: ConnectionKey): Promise<void>;
}
