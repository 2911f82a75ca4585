import { randomBytes } from 'node:crypto';
import type { Attempt } from '../domain/attempt';
import type { TokenSecrets } from '../domain/connection';
import { connectionKeyString } from '../domain/ids';
import { isServiceError, ServiceError, StaleFenceError } from '../errors';
import { appendAttempt } from '../history/ring';
import type { RefreshOutcome } from '../oauth/types';
import type { HistoryRecorder } from '../ports/history';
import type { IntegrationCredentials } from '../ports/integrations';
import type { Sealer } from '../ports/keyring';
import type { ConnectionPatch, Fence, StoredConnection } from '../ports/store';
import { decide } from './decide';
import type { LeaseWork } from './lease';
import { workUnderLeaseMs } from './options';
import { publishOutbox } from './outbox';
import { decryptSecrets, encodeSecrets, tokensContext } from './secrets';
import { expiredWithoutRefreshTokenPatch, failurePatch, successPatch, toLastError } from './transitions';
import type { RefreshDeps, RefreshRequest, RefreshResult } from './types';

/**
 * The refresh of a connection this worker has just leased (design.md invariants 3–6): decide
 * again on the state the lease returned, check the time budget, get everything the commit will
 * need, call the provider, then ONE fenced commit of the outcome and the publish of its events.
 * The lease itself is taken and given back around it (./lease `withLease`); `leaseEnded` says
 * when a commit took it back.
 *
 * Between the provider's answer and the commit only pure code runs (reliability.md promise 21):
 * the integration, the decrypted secrets and a data key reserved for sealing the new tokens are in
 * hand before the refresh token is presented, so a KMS throttle, a cold key cache or an integration
 * read can no longer fail after a strict provider has rotated the token.
 *
 * @throws ServiceError `insufficient_time`, `lease_expired` (before any provider call),
 *   `keyring_unavailable`, `decrypt_failed`, `store_unavailable`; NotFoundError (no such
 *   integration); StaleFenceError (the lease was lost: nothing was overwritten).
 */
export async function refreshLeased(
  deps: RefreshDeps,
  leased: StoredConnection,
  fence: Fence,
  request: RefreshRequest,
  baselineGeneration: number,
): Promise<LeaseWork<RefreshResult>> {
  const decided = decide(deps, leased, request, baselineGeneration);
  if (decided !== null) return { value: decided, leaseEnded: false };
  await deps.failpoints?.('after_lease');
  if (request.remainingTimeMs !== undefined && request.remainingTimeMs() < workUnderLeaseMs(deps.options)) {
    throw new ServiceError(
      'insufficient_time',
      `not enough time left to refresh ${connectionKeyString(leased)} safely`,
    );
  }

  // Everything the commit needs, before the refresh token is presented (promise 21).
  const credentials = await deps.integrations.get(leased.integrationId);
  const secrets = await decryptSecrets(deps.keyring, leased);
  const { integration } = credentials;
  if (secrets.refresh_token === null) {
    return expireWithoutRefreshToken(deps, leased, fence, request, integration.refresh);
  }
  const sealer = await deps.keyring.prepareSeal(tokensContext(leased));
  try {
    return await presentAndCommit(deps, leased, fence, request, credentials, secrets.refresh_token, sealer);
  } finally {
    sealer.dispose();
  }
}

/**
 * The provider call and the one commit of its outcome, with the integration, the stored refresh
 * token and a sealer for the new tokens already in hand.
 */
async function presentAndCommit(
  deps: RefreshDeps,
  leased: StoredConnection,
  fence: Fence,
  request: RefreshRequest,
  credentials: IntegrationCredentials,
  refreshToken: string,
  sealer: Sealer,
): Promise<LeaseWork<RefreshResult>> {
  const { clock, logger } = deps;
  const { integration } = credentials;
  const commitId = randomBytes(9).toString('base64url');

  // The fence guards the write, not the provider call: a worker that stalled past its lease (a
  // freeze, a long GC, a slow decrypt) must not present a refresh token a sibling may have rotated
  // since; a strict provider would revoke the whole grant (RFC 9700 §4.14.2).
  if ((leased.leaseUntil ?? 0) - clock.now() < workUnderLeaseMs(deps.options)) {
    throw new ServiceError(
      'lease_expired',
      `the refresh lease of ${connectionKeyString(leased)} ran short before the provider call`,
    );
  }
  const started = clock.now();
  const outcome = await callProvider(deps, leased, credentials, refreshToken);
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
    // Pure code only from here to the commit: no call, nothing that waits or can fail for a reason
    // outside this process.
    const next: TokenSecrets = {
      access_token: outcome.tokens.accessToken,
      // Providers that do not rotate omit refresh_token: keep the stored one, byte for byte.
      refresh_token: outcome.tokens.refreshToken ?? refreshToken,
      raw: { ...outcome.tokens.raw },
    };
    const ciphertext = sealer.seal(encodeSecrets(next));
    // The attempt rides in the commit's own write (api.md v1.1 history): no write of its own.
    const ring = appendAttempt(leased.attemptRing, attemptOf(request, 'refreshed', null, started, now));
    const patch = {
      ...successPatch(leased, outcome.tokens, ciphertext, ctx),
      attemptRing: ring.ring,
      commitId,
    };
    await deps.failpoints?.('before_commit');
    const committed = await commitDurably(deps, leased, fence, patch, now);
    await deps.failpoints?.('after_commit');
    logger.info('refresh succeeded', {
      ...fields,
      expiry_source: outcome.tokens.expirySource,
      ...(outcome.tokens.expiryClamped === true ? { expiry_clamped: true } : {}),
      rotated: outcome.tokens.refreshToken !== null,
      recovered: leased.status !== 'active',
    });
    await publishOutbox(deps, committed);
    await recordHistory(deps, leased, (h) => h.attempts(leased, ring.spilled), ring.spilled.length > 0);
    return { value: { outcome: 'refreshed', connection: committed, secrets: next }, leaseEnded: true };
  }

  const { failure } = outcome;
  // The client was refused: the fix is a new client secret, so the next attempt reads it afresh.
  if (failure.code === 'client_misconfigured') deps.integrations.invalidate?.(leased.integrationId);
  if (failure.code === 'revoked') {
    // Invariant 5: a sibling may have rotated the token under us (e.g. after our lease expired).
    const current = await deps.store.get(leased);
    if (current !== null && current.credentialGeneration !== leased.credentialGeneration) {
      logger.info('invalid_grant after a sibling rotated the token: treated as success', fields);
      return { value: { outcome: 'refreshed_by_sibling', connection: current }, leaseEnded: false };
    }
  }
  const attempt = attemptOf(request, 'failed', failure.code, started, now);
  const ring = appendAttempt(leased.attemptRing, attempt);
  const patch = { ...failurePatch(leased, failure, ctx), attemptRing: ring.ring, commitId };
  await deps.failpoints?.('before_commit');
  const committed = await commitDurably(deps, leased, fence, patch, now);
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
  // Failures are recorded in full (their error), beside the compact entry in the ring.
  await recordHistory(deps, leased, (h) => h.failure(leased, attempt, toLastError(failure, now)), true);
  await recordHistory(deps, leased, (h) => h.attempts(leased, ring.spilled), ring.spilled.length > 0);
  return { value: { outcome: 'failed', connection: committed, failure }, leaseEnded: true };
}

function attemptOf(
  request: RefreshRequest,
  outcome: Attempt['outcome'],
  code: Attempt['code'],
  started: number,
  now: number,
): Attempt {
  return {
    at: Math.floor(now / 1000) * 1000,
    trigger: request.trigger,
    outcome,
    code,
    durationMs: now - started,
  };
}

/** A history write after the commit: best effort, never fails the refresh (it has landed). */
async function recordHistory(
  deps: RefreshDeps,
  leased: StoredConnection,
  write: (history: HistoryRecorder) => Promise<void>,
  when: boolean,
): Promise<void> {
  if (!when || deps.history === undefined) return;
  try {
    await write(deps.history);
  } catch (error) {
    deps.logger.warn('history write failed', {
      integration_id: leased.integrationId,
      connection_id: leased.connectionId,
      error: error instanceof Error ? error.name : 'unknown',
    });
  }
}

/**
 * A connection without a refresh token is never refreshed. It is only ever leased here when its
 * access token has expired (or for items stored before `has_rt` was recorded): then it needs its
 * user, once; before that, nothing changes but the due time, which moves to the expiry.
 */
async function expireWithoutRefreshToken(
  deps: RefreshDeps,
  leased: StoredConnection,
  fence: Fence,
  request: RefreshRequest,
  settings: Parameters<typeof expiredWithoutRefreshTokenPatch>[1]['settings'],
): Promise<LeaseWork<RefreshResult>> {
  const now = deps.clock.now();
  const commitId = randomBytes(9).toString('base64url');
  const patch = {
    ...expiredWithoutRefreshTokenPatch(leased, { now, settings, random: deps.random }),
    commitId,
  };
  const committed = await commitDurably(deps, leased, fence, patch, now);
  if (committed.status === 'needs_reauth') {
    deps.logger.warn('access token expired and there is no refresh token: re-authorization needed', {
      integration_id: leased.integrationId,
      connection_id: leased.connectionId,
    });
  }
  await publishOutbox(deps, committed);
  const result: RefreshResult =
    committed.status === 'needs_reauth'
      ? { outcome: 'needs_reauth', connection: committed }
      : request.trigger === 'forced'
        ? { outcome: 'no_refresh_token', connection: committed }
        : { outcome: 'not_needed', connection: committed };
  return { value: result, leaseEnded: true };
}

/**
 * The commit, retried on transient store errors (throttling) within the commit budget: after a
 * provider call the new tokens exist nowhere else, so giving up early can cost the grant. Any
 * stale-fence answer, including one the SDK's own retry got after a first attempt landed with its
 * response lost, is checked against the commit id: if our write is what is stored, it landed
 * (reliability.md promise 25).
 */
async function commitDurably(
  deps: RefreshDeps,
  leased: StoredConnection,
  fence: Fence,
  patch: ConnectionPatch & { readonly commitId: string },
  now: number,
): Promise<StoredConnection> {
  const { store, clock, options } = deps;
  const deadline = clock.now() + options.commitBudgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await store.commit(leased, fence, patch, now);
    } catch (error) {
      if (error instanceof StaleFenceError) {
        const landed = await landedCommit(deps, leased, patch.commitId);
        if (landed !== null) return landed;
        throw error;
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

/** The stored item when it carries our commit (its response was lost), else null. */
async function landedCommit(
  deps: RefreshDeps,
  leased: StoredConnection,
  commitId: string,
): Promise<StoredConnection | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const current = await deps.store.get(leased);
      return current !== null && current.lastCommitId === commitId ? current : null;
    } catch (error) {
      if (!isServiceError(error, 'store_unavailable')) throw error;
      await deps.clock.sleep(100 * 2 ** attempt);
    }
  }
  return null;
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
  refreshToken: string,
): Promise<RefreshOutcome> {
  const { integration, clientSecret } = credentials;
  const reuseTolerated = !integration.rotatesRefreshToken || (integration.reuseGraceSeconds ?? 0) > 0;
  const urlParams = { ...integration.urlParams, ...stringValues(connection.metadata) };
  let outcome: RefreshOutcome | undefined;
  for (let call = 1; call <= deps.options.maxProviderCalls; call++) {
    outcome = await deps.tokenClient.refresh(
      {
        integration,
        clientSecret,
        refreshToken,
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
