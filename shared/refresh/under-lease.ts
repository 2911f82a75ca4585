import type { TokenSecrets } from '../domain/connection';
import { connectionKeyString } from '../domain/ids';
import { isServiceError, ServiceError, StaleFenceError } from '../errors';
import type { RefreshOutcome } from '../oauth/types';
import type { IntegrationCredentials } from '../ports/integrations';
import type { ConnectionPatch, StoredConnection } from '../ports/store';
import { decide } from './decide';
import { publishOutbox } from './outbox';
import type { RefreshDeps, RefreshRequest, RefreshResult } from './refresh-connection';
import { decryptSecrets, encodeSecrets, tokensContext } from './secrets';
import { failurePatch, successPatch } from './transitions';

/**
 * The part of a refresh that runs under the lease (design.md invariants 3–6): decide again on the
 * state the lease returned, check the time budget, decrypt, call the provider, then ONE fenced
 * commit of the outcome and the publish of its events. Always gives the lease back (by commit or
 * release) unless the process dies, in which case the lease expires.
 */
export async function underLease(
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
  // The fence guards the write, not the provider call: a worker that stalled past its lease (a
  // freeze, a long GC, a slow decrypt) must not present a refresh token a sibling may have rotated
  // since; a strict provider would revoke the whole grant (RFC 9700 §4.14.2).
  const needed = options.providerTimeoutMs * options.maxProviderCalls + options.commitBudgetMs;
  if ((leased.leaseUntil ?? 0) - clock.now() < needed) {
    await store.releaseLease(leased, fence);
    throw new ServiceError(
      'lease_expired',
      `the refresh lease of ${connectionKeyString(leased)} ran short before the provider call`,
    );
  }
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
