import type { TokenSecrets } from '../domain/connection';
import type { RefreshFailure, TokenClient } from '../oauth/types';
import type { Clock, Random } from '../ports/clock';
import type { EventPublisher } from '../ports/events';
import type { HistoryRecorder } from '../ports/history';
import type { IntegrationSource } from '../ports/integrations';
import type { Keyring } from '../ports/keyring';
import type { Logger } from '../ports/logger';
import type { ConnectionStore, StoredConnection } from '../ports/store';
import type { Failpoints } from './failpoints';
import type { RefreshOptions } from './options';
import type { SingleFlight } from './single-flight';

/*
 * The refresh use case's vocabulary: what it needs, what it is asked, what it answers. Its own
 * module so that the steps (./decide, ./under-lease) and the entry point (./refresh-connection)
 * import it without importing each other.
 */

export interface RefreshDeps {
  readonly store: ConnectionStore;
  readonly integrations: IntegrationSource;
  readonly keyring: Keyring;
  readonly tokenClient: TokenClient;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly options: RefreshOptions;
  /** Identifies this worker in leases (host, process, instance). */
  readonly owner: string;
  readonly flights: SingleFlight<RefreshResult>;
  /** Test-only crash injection at step boundaries. */
  readonly failpoints?: Failpoints;
  /**
   * Where history goes beside the ring the commit carries (api.md v1.1): written after the commit,
   * best effort. Absent: the ring alone.
   */
  readonly history?: HistoryRecorder;
}

/**
 * Why a refresh is asked for:
 * - `scheduled`: the refresher acting on a due-index hit. Skips when no longer due or when another
 *   worker holds the lease (that worker is doing it). Makes no read before the lease.
 * - `on_demand`: the token endpoint; refreshes when the token would not stay valid for
 *   `minValiditySeconds`, waits (bounded) for another worker's refresh.
 * - `forced`: refresh now (POST .../refresh, `force_refresh`), unless a sibling stored new tokens
 *   since the caller looked (`observedGeneration`): one call causes at most one refresh.
 */
export interface RefreshRequest {
  readonly trigger: 'scheduled' | 'on_demand' | 'forced';
  readonly minValiditySeconds?: number;
  readonly observedGeneration?: number;
  /** Remaining time of the invocation (Lambda's getRemainingTimeInMillis). */
  readonly remainingTimeMs?: () => number;
  /**
   * The connection as the caller just read it (strongly consistent), so the flight need not read
   * it again; its credential generation is the baseline unless `observedGeneration` says otherwise.
   */
  readonly snapshot?: StoredConnection;
  /**
   * Forced trigger only: an admin's retry of a `needs_reauth` connection whose refresh token the
   * provider never rejected (see `revivable` in ./decide).
   */
  readonly revive?: boolean;
}

export type RefreshResult =
  /** This worker called the provider and stored new tokens (`secrets` holds them, for the caller only). */
  | { readonly outcome: 'refreshed'; readonly connection: StoredConnection; readonly secrets: TokenSecrets }
  /** Another worker stored new tokens meanwhile; `connection` has them. */
  | { readonly outcome: 'refreshed_by_sibling'; readonly connection: StoredConnection }
  /** Nothing to do: the token is fresh enough / not due. */
  | { readonly outcome: 'not_needed'; readonly connection: StoredConnection }
  /** The provider call failed; the failure is recorded on `connection` (status, backoff, events). */
  | { readonly outcome: 'failed'; readonly connection: StoredConnection; readonly failure: RefreshFailure }
  /**
   * In backoff after a failure: no provider call was made. `retryAfterUntil` is set when it is the
   * provider's own Retry-After (epoch ms) that is still in force.
   */
  | {
      readonly outcome: 'backing_off';
      readonly connection: StoredConnection;
      readonly retryAfterUntil?: number;
    }
  /** Forced trigger: the connection has no refresh token, so it cannot be refreshed at all. */
  | { readonly outcome: 'no_refresh_token'; readonly connection: StoredConnection }
  /** The connection needs the end user to re-authorize; no provider call was made. */
  | { readonly outcome: 'needs_reauth'; readonly connection: StoredConnection }
  /** Scheduled trigger only: another worker holds the lease and is refreshing. */
  | { readonly outcome: 'lease_held' };

/** Results that carry no token to hand out (./get-valid-token `failureOf` says why). */
export type UnusableResult = Extract<
  RefreshResult,
  { outcome: 'failed' | 'backing_off' | 'needs_reauth' | 'lease_held' | 'no_refresh_token' }
>;
