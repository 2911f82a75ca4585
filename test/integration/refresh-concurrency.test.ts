import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalKeyring } from '../../shared/adapters/local/keyring';
import type { ConnectionKey } from '../../shared/domain/ids';
import { fenceOf } from '../../shared/ports/store';
import { decryptSecrets } from '../../shared/refresh/secrets';
import type { RefreshResult } from '../../shared/refresh/types';
import { type Core, createCore } from '../support/core';
import { type OidcHarness, startOidcProvider } from '../support/oidc';
import { rememberSecret } from '../support/secrets';
import { useTestTable } from '../support/test-table';

// reliability.md promises 1 and 2 against a real OAuth server that revokes the whole grant the
// moment a rotated refresh token is presented twice (oidc-provider, rotateRefreshToken: true).
describe('refreshConnection under concurrency (oidc-provider, strict rotation)', () => {
  const db = useTestTable();
  let oidc: OidcHarness;
  const keyring = createLocalKeyring(randomBytes(32));
  let processA: Core;
  let processB: Core;

  beforeAll(async () => {
    oidc = await startOidcProvider({ rotation: 'strict' });
    // Two "processes": separate store clients, caches, single-flight maps and lease owners.
    processA = createCore({ ...db, keyring, owner: 'process-a' });
    processB = createCore({ ...db, keyring, owner: 'process-b' });
    await processA.putIntegration('acme', ...oidc.integration({ client_auth: 'client_secret_basic' }));
  });
  afterAll(async () => {
    await oidc?.close();
  });
  beforeEach(() => oidc.resetStats());

  async function newConnection(): Promise<{ key: ConnectionKey; generation: number }> {
    const clientId = oidc.clients[0]?.id ?? '';
    const refreshToken = await oidc.mintRefreshToken({ clientId });
    const key = { integrationId: 'acme', connectionId: `user-${randomBytes(4).toString('hex')}` };
    const { connection } = await processA.importConnection(key, {
      refreshToken,
      expiresAt: Date.now() + 5_000,
    });
    return { key, generation: connection.credentialGeneration };
  }

  async function accessTokenOf(core: Core, result: RefreshResult): Promise<string> {
    if (result.outcome === 'refreshed') return result.secrets.access_token;
    if (result.outcome === 'lease_held') throw new Error('unexpected lease_held');
    return (await decryptSecrets(core.keyring, result.connection)).access_token;
  }

  it('50 concurrent refreshes in one process make exactly one grant, and every caller gets the same new token', async () => {
    const { key, generation } = await newConnection();
    const before = (await decryptSecrets(keyring, (await processA.store.get(key)) ?? fail())).access_token;

    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        processA.refresh(key, { trigger: 'forced', observedGeneration: generation }),
      ),
    );

    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
    const tokens = new Set(await Promise.all(results.map((r) => accessTokenOf(processA, r))));
    expect(tokens.size).toBe(1);
    expect(tokens.has(before)).toBe(false);
    rememberSecret(...tokens);
  });

  it('two processes racing 25 + 25 refreshes make exactly one grant; all 50 callers see the same token', async () => {
    const { key, generation } = await newConnection();

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const core = i % 2 === 0 ? processA : processB;
        return core
          .refresh(key, { trigger: 'forced', observedGeneration: generation })
          .then((r) => ({ core, r }));
      }),
    );

    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
    const outcomes = new Set(results.map(({ r }) => r.outcome));
    expect(outcomes).toEqual(new Set(['refreshed', 'refreshed_by_sibling']));
    const tokens = new Set(await Promise.all(results.map(({ core, r }) => accessTokenOf(core, r))));
    expect(tokens.size).toBe(1);
    rememberSecret(...tokens);

    // The stored state is consistent: one credential write, version grew, the lease is free.
    const stored = await processB.store.get(key);
    expect(stored).toMatchObject({
      status: 'active',
      credentialGeneration: generation + 1,
      leaseUntil: null,
    });
  });

  it('on-demand callers in two processes with an expiring token share one grant and keep rotating safely over rounds', async () => {
    const { key } = await newConnection();
    for (let round = 0; round < 3; round++) {
      const current = (await processA.store.get(key)) ?? fail();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? processA : processB).refresh(key, {
            trigger: 'forced',
            observedGeneration: current.credentialGeneration,
          }),
        ),
      );
      expect(results.every((r) => r.outcome === 'refreshed' || r.outcome === 'refreshed_by_sibling')).toBe(
        true,
      );
    }
    expect(oidc.stats()).toMatchObject({ refreshGrants: 3, invalidGrant: 0 });
  });

  it('scheduled refreshes of the same due connection from two workers: one refreshes, the other skips', async () => {
    const { key } = await newConnection();
    // Make it due now.
    const leased = await processA.store.acquireLease(key, { owner: 'setup', now: Date.now(), leaseMs: 1 });
    const { secretsCiphertext: _keep, ...rest } = leased;
    await processA.store.commit(
      key,
      fenceOf(leased),
      {
        ...rest,
        hasRefreshToken: true,
        lastRefreshAt: Date.now(),
        nextRefreshAt: Date.now() - 1_000,
        events: [],
      },
      Date.now(),
    );

    const [a, b] = await Promise.all([
      processA.refresh(key, { trigger: 'scheduled' }),
      processB.refresh(key, { trigger: 'scheduled' }),
    ]);

    expect([a.outcome, b.outcome].sort()).toEqual(['lease_held', 'refreshed']);
    expect(oidc.stats()).toMatchObject({ refreshGrants: 1, invalidGrant: 0 });
    // Once refreshed, the next scheduled message for it finds nothing to do.
    expect((await processB.refresh(key, { trigger: 'scheduled' })).outcome).toBe('not_needed');
    expect(oidc.stats().refreshGrants).toBe(1);
  });
});

function fail(): never {
  throw new Error('connection missing');
}
