import { type TokenSecrets, tokenSecretsSchema } from '../domain/connection';
import { type ConnectionKey, connectionKeyString } from '../domain/ids';
import { isServiceError, LeaseHeldError, NotFoundError, ServiceError, StaleFenceError } from '../errors';
import type { RefreshFailure, RefreshOutcome, TokenClient } from '../oauth/types';
import { shouldRefresh } from '../policy/should-refresh';
import type { Clock, Random } from '../ports/clock';
import type { EventPublisher } from '../ports/events';
import type { IntegrationCredentials, IntegrationSource } from '../ports/integrations';
import type { EncryptionContext, Keyring } from '../ports/keyring';
import type { Logger } from '../ports/logger';
import type { ConnectionPatch, ConnectionStore, StoredConnection } from '../ports/store';
import type { Failpoints } from './failpoints';
import type { RefreshOptions } from './options';
import { publishOutbox } from './outbox';
import type { SingleFlight } from './single-flight';
import { failurePatch, successPatch } from './transitions';

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
  /** In backoff after a failure (e.g. Retry-After not over yet): no provider call was made. */
  | { readonly outcome: 'backing_off'; readonly connection: StoredConnection }
  /** The connection needs the end user to re-authorize; no provider call was made. */
  | { readonly outcome: 'needs_reauth'; readonly connection: StoredConnection }
  /** Scheduled trigger only: another worker holds the lease and is refreshing. */
  | { readonly outcome: 'lease_held' };

export const tokensContext = (key: ConnectionKey): EncryptionContext => ({
  integration_id: key.integrationId,
  connection_id: key.connectionId,
  purpose: 'tokens',
});

/**
 * Refreshes one connection's tokens, rotation-safe (design.md invariants 1–6):
 * in-process single flight → lease (conditional write, fence = version; returns the item as
 * re-read) → decide again on the fresh state (a sibling may have refreshed) → decrypt → provider
 * call (RFC 6749 §6) → ONE conditional commit (new ciphertext, expiry, status, next due time and
 * the transition's events in the outbox) → publish the outbox.
 *
 * @throws NotFoundError (no such connection or integration); ServiceError `refresh_in_progress`
 *   (on-demand wait ran out), `insufficient_time`, `store_unavailable`, `keyring_unavailable`,
 *   `decrypt_failed`; StaleFenceError (the lease was lost mid-refresh: nothing was overwritten).
 */
export function refreshConnection(
  deps: RefreshDeps,
  key: ConnectionKey,
  request: RefreshRequest,
): Promise<RefreshResult> {
  const flightKey = [request.trigger, request.minValiditySeconds ?? '', connectionKeyString(key)].join('|');
  return deps.flights.run(flightKey, () => runFlight(deps, key, request));
}

async function runFlight(
  deps: RefreshDeps,
  key: ConnectionKey,
  request: RefreshRequest,
): Promise<RefreshResult> {
  const { store, clock, options } = deps;
  if (request.trigger === 'scheduled') {
    let leased: StoredConnection;
    try {
      leased = await store.acquireLease(key, {
        owner: deps.owner,
        now: clock.now(),
        leaseMs: options.leaseMs,
      });
    } catch (error) {
      if (error instanceof LeaseHeldError) return { outcome: 'lease_held' };
      throw error;
    }
    return underLease(deps, leased, request, leased.credentialGeneration);
  }

  const initial = await store.get(key);
  if (initial === null) throw new NotFoundError(`connection ${connectionKeyString(key)}`);
  const baseline = request.observedGeneration ?? initial.credentialGeneration;
  const early = decide(deps, initial, request, baseline);
  if (early !== null) return early;

  const deadline = clock.now() + options.waitForLeaseMs;
  for (;;) {
    try {
      const leased = await store.acquireLease(key, {
        owner: deps.owner,
        now: clock.now(),
        leaseMs: options.leaseMs,
      });
      return await underLease(deps, leased, request, baseline);
    } catch (error) {
      if (!(error instanceof LeaseHeldError)) throw error;
    }
    // Another worker is refreshing: wait for its result rather than racing it.
    for (;;) {
      if (clock.now() >= deadline) {
        throw new ServiceError(
          'refresh_in_progress',
          `a refresh of ${connectionKeyString(key)} is in progress`,
        );
      }
      await clock.sleep(options.pollIntervalMs);
      const current = await store.get(key);
      if (current === null) throw new NotFoundError(`connection ${connectionKeyString(key)}`);
      if (current.credentialGeneration !== baseline)
        return { outcome: 'refreshed_by_sibling', connection: current };
      if (current.leaseUntil === null || current.leaseUntil < clock.now()) {
        // The holder finished without new tokens (or died): decide again, then try the lease.
        const settled = decide(deps, current, request, baseline);
        if (settled !== null) return settled;
        break;
      }
    }
  }
}

/** Whether the state at hand already answers the request; null means "refresh". */
function decide(
  deps: RefreshDeps,
  connection: StoredConnection,
  request: RefreshRequest,
  baselineGeneration: number,
): RefreshResult | null {
  const now = deps.clock.now();
  if (connection.status === 'needs_reauth') return { outcome: 'needs_reauth', connection };
  if (connection.credentialGeneration !== baselineGeneration)
    return { outcome: 'refreshed_by_sibling', connection };
  if (request.trigger === 'scheduled') {
    // A backoff (Retry-After above all) is honoured to the millisecond; only on-time work gets the skew.
    const skew = connection.status === 'failing' ? 0 : deps.options.dueSkewMs;
    const due = connection.nextRefreshAt !== null && connection.nextRefreshAt <= now + skew;
    return due ? null : { outcome: 'not_needed', connection };
  }
  // Failures back off for everyone (Retry-After especially): no provider call before the due time.
  if (
    connection.status === 'failing' &&
    connection.nextRefreshAt !== null &&
    connection.nextRefreshAt > now
  ) {
    return { outcome: 'backing_off', connection };
  }
  if (request.trigger === 'forced') return null;
  const verdict = shouldRefresh({
    now,
    expiresAt: connection.accessTokenExpiresAt,
    nextRefreshAt: connection.nextRefreshAt,
    minValiditySeconds: request.minValiditySeconds ?? 60,
    force: false,
  });
  return verdict.refresh ? null : { outcome: 'not_needed', connection };
}

async function underLease(
  deps: RefreshDeps,
  leased: StoredConnection,
  request: RefreshRequest,
  baselineGeneration: number,
): Promise<RefreshResult> {
  const { store, clock, options, logger } = deps;
  const fence = leased.version;
  const decided = decide(deps, leased, request, baselineGeneration);
  if (decided !== null) {
    await store.releaseLease(leased, fence);
    return decided;
  }
  await deps.failpoints?.('after_lease');
  if (request.remainingTimeMs !== undefined) {
    const needed = options.providerTimeoutMs * options.maxProviderCalls + options.commitBudgetMs;
    if (request.remainingTimeMs() < needed) {
      await store.releaseLease(leased, fence);
      throw new ServiceError(
        'insufficient_time',
        `not enough time left to refresh ${connectionKeyString(leased)} safely`,
      );
    }
  }

  let credentials: IntegrationCredentials;
  let secrets: TokenSecrets;
  try {
    credentials = await deps.integrations.get(leased.integrationId);
    secrets = await decryptSecrets(deps.keyring, leased);
  } catch (error) {
    await store.releaseLease(leased, fence);
    throw error;
  }
  const { integration } = credentials;
  const started = clock.now();
  const outcome = await callProvider(deps, leased, credentials, secrets);
  await deps.failpoints?.('after_provider_answer');
  const now = clock.now();
  const ctx = { now, settings: integration.refresh, random: deps.random };
  const fields = {
    integration_id: leased.integrationId,
    connection_id: leased.connectionId,
    provider: leased.provider,
    trigger: request.trigger,
    provider_ms: now - started,
  };

  if (outcome.ok) {
    const next: TokenSecrets = {
      access_token: outcome.tokens.accessToken,
      // Providers that do not rotate omit refresh_token: keep the stored one, byte for byte.
      refresh_token: outcome.tokens.refreshToken ?? secrets.refresh_token,
      raw: { ...outcome.tokens.raw },
    };
    const ciphertext = await deps.keyring.encrypt(encodeSecrets(next), tokensContext(leased));
    const committed = await commitDurably(
      deps,
      leased,
      fence,
      successPatch(leased, outcome.tokens, ciphertext, ctx),
      now,
    );
    await deps.failpoints?.('after_commit');
    logger.info('refresh succeeded', {
      ...fields,
      expiry_source: outcome.tokens.expirySource,
      rotated: outcome.tokens.refreshToken !== null,
      recovered: leased.status === 'failing',
    });
    await publishOutbox(deps, committed);
    return { outcome: 'refreshed', connection: committed, secrets: next };
  }

  const { failure } = outcome;
  if (failure.code === 'revoked') {
    // Invariant 5: a sibling may have rotated the token under us (e.g. after our lease expired).
    const current = await store.get(leased);
    if (current !== null && current.credentialGeneration !== leased.credentialGeneration) {
      logger.info('invalid_grant after a sibling rotated the token: treated as success', fields);
      return { outcome: 'refreshed_by_sibling', connection: current };
    }
  }
  const committed = await commitDurably(deps, leased, fence, failurePatch(leased, failure, ctx), now);
  logger.warn('refresh failed', {
    ...fields,
    code: failure.code,
    provider_error: failure.providerError,
    http_status: failure.httpStatus,
    status: committed.status,
    consecutive_failures: committed.consecutiveFailures,
    next_refresh_at:
      committed.nextRefreshAt === null ? null : new Date(committed.nextRefreshAt).toISOString(),
  });
  await publishOutbox(deps, committed);
  return { outcome: 'failed', connection: committed, failure };
}

/**
 * The commit, retried on transient store errors (throttling) within the commit budget: after a
 * provider call the new tokens exist nowhere else, so giving up early can cost the grant. A retry
 * that meets a stale fence checks whether an earlier attempt landed after all (its response lost).
 */
async function commitDurably(
  deps: RefreshDeps,
  leased: StoredConnection,
  fence: number,
  patch: ConnectionPatch,
  now: number,
): Promise<StoredConnection> {
  const { store, clock, options } = deps;
  const deadline = clock.now() + options.commitBudgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.commit(leased, fence, patch, now);
    } catch (error) {
      if (error instanceof StaleFenceError && attempt > 0) {
        const current = await store.get(leased);
        const ours = patch.secretsCiphertext;
        const landed =
          current !== null &&
          current.version === fence + 1 &&
          current.updatedAt === now &&
          (ours === undefined || sameBytes(current.secretsCiphertext, ours));
        if (landed) return current;
      }
      if (!isServiceError(error, 'store_unavailable') || clock.now() >= deadline) throw error;
      deps.logger.warn('commit failed transiently; retrying', {
        integration_id: leased.integrationId,
        connection_id: leased.connectionId,
        attempt: attempt + 1,
      });
      await clock.sleep(Math.min(1_000, 50 * 2 ** attempt));
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * The provider call. An ambiguous answer (sent, no answer) is re-sent in-call only where the
 * provider tolerates presenting the same refresh token again (no rotation, or a reuse grace);
 * a strict rotator would revoke the grant on reuse, so there it is recorded and retried after
 * backoff, when an `invalid_grant` tells the truth (reliability.md promise 6).
 */
async function callProvider(
  deps: RefreshDeps,
  connection: StoredConnection,
  credentials: IntegrationCredentials,
  secrets: TokenSecrets,
): Promise<RefreshOutcome> {
  const { integration, clientSecret } = credentials;
  if (secrets.refresh_token === null) {
    return {
      ok: false,
      failure: {
        code: 'revoked',
        message: 'the connection has no refresh token; the end user must re-authorize',
        providerError: null,
        providerErrorDescription: null,
        httpStatus: null,
        retryAfterSeconds: null,
        requestSent: false,
      },
    };
  }
  const reuseTolerated = !integration.rotatesRefreshToken || (integration.reuseGraceSeconds ?? 0) > 0;
  const urlParams = { ...integration.urlParams, ...stringValues(connection.metadata) };
  let outcome: RefreshOutcome | undefined;
  for (let call = 1; call <= deps.options.maxProviderCalls; call++) {
    outcome = await deps.tokenClient.refresh(
      {
        integration,
        clientSecret,
        refreshToken: secrets.refresh_token,
        urlParams,
        previousLifetimeSeconds: connection.lastLifetimeSeconds,
        now: deps.clock.now(),
      },
      { timeoutMs: deps.options.providerTimeoutMs },
    );
    if (outcome.ok || outcome.failure.code !== 'ambiguous' || !reuseTolerated) break;
  }
  if (outcome === undefined) throw new Error('unreachable: maxProviderCalls >= 1');
  return outcome;
}

function stringValues(record: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (typeof v === 'string') out[k] = v;
  return out;
}

export function encodeSecrets(secrets: TokenSecrets): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(secrets));
}

/** Decrypts a connection's token envelope. @throws ServiceError `decrypt_failed` | `keyring_unavailable` */
export async function decryptSecrets(keyring: Keyring, connection: StoredConnection): Promise<TokenSecrets> {
  const plaintext = await keyring.decrypt(connection.secretsCiphertext, tokensContext(connection));
  try {
    return tokenSecretsSchema.parse(JSON.parse(new TextDecoder().decode(plaintext)));
  } catch {
    // No cause: a JSON error message would quote the plaintext.
    throw new ServiceError(
      'decrypt_failed',
      `stored secrets of ${connectionKeyString(connection)} are malformed`,
    );
  }
}
