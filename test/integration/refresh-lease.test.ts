import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLocalKeyring } from '../../shared/adapters/local/keyring';
import type { ConnectionKey } from '../../shared/domain/ids';
import { ManualClock } from '../support/clock';
import { type Core, createCore } from '../support/core';
import { type ProviderDouble, startProviderDouble } from '../support/provider-double';
import { rememberSecret } from '../support/secrets';
import { useTestTable } from '../support/test-table';

const LEASE_MS = 8_000;

/**
 * The refresh lease is given back on every path that takes it and does not commit (a commit
 * clears it itself). A lease left behind holds the connection for a whole lease: token reads wait
 * and answer `refresh_in_progress`, the scheduler's task is put back. Paths already checked
 * elsewhere: insufficient time and a lease run short (refresh-failures), a keyring or decrypt
 * failure (grant-safety), success (refresh-concurrency).
 */
describe('refresh lease on every path', () => {
  const db = useTestTable();
  let double: ProviderDouble;
  const clock = new ManualClock();
  const keyring = createLocalKeyring(randomBytes(32));
  let core: Core;

  beforeAll(async () => {
    double = await startProviderDouble({ now: () => clock.now() });
  });
  afterAll(async () => {
    await double?.close();
  });
  beforeEach(async () => {
    core = createCore({
      ...db,
      keyring,
      clock,
      options: { providerTimeoutMs: 1_000, commitBudgetMs: 1_000, leaseMs: LEASE_MS },
    });
    await core.putIntegration(
      'strict',
      { provider: 'custom', client_id: 'client-1', token_url: double.url, rotates_refresh_token: true },
      'secret-strict-1',
    );
    double.setMode('strict_local');
    double.resetRequests();
  });

  async function connection(
    input: { expiresAt?: number; refreshToken?: string | null } = {},
  ): Promise<ConnectionKey> {
    const refreshToken = input.refreshToken === undefined ? double.mintFamily() : input.refreshToken;
    rememberSecret(refreshToken);
    const key = { integrationId: 'strict', connectionId: `c-${randomBytes(4).toString('hex')}` };
    await core.importConnection(key, {
      ...(refreshToken === null ? {} : { refreshToken }),
      expiresAt: input.expiresAt ?? clock.now() + 3_600_000,
    });
    return key;
  }
  const leaseOf = async (key: ConnectionKey) => (await core.store.get(key))?.leaseUntil;

  it('a scheduled task that finds the connection no longer due gives the lease back', async () => {
    const key = await connection();

    const result = await core.refresh(key, { trigger: 'scheduled' });

    expect(result.outcome).toBe('not_needed');
    expect(await leaseOf(key)).toBeNull();
    // The next task is not turned away by a lease nobody holds.
    expect((await core.refresh(key, { trigger: 'scheduled' })).outcome).toBe('not_needed');
  });

  it('a scheduled task that finds the connection needing its user gives the lease back', async () => {
    const key = await connection();
    double.once({ mode: 'status', status: 400, body: { error: 'invalid_grant' } });
    expect((await core.refresh(key, { trigger: 'forced' })).outcome).toBe('failed');

    const result = await core.refresh(key, { trigger: 'scheduled' });

    expect(result.outcome).toBe('needs_reauth');
    expect(await leaseOf(key)).toBeNull();
  });

  it('a token read that finds a sibling’s new tokens once it holds the lease gives the lease back', async () => {
    const key = await connection({ expiresAt: clock.now() + 30_000 });
    const seen = (await core.store.get(key)) ?? expect.fail('missing');
    const sibling = await core.refresh(key, { trigger: 'forced' });
    expect(sibling.outcome).toBe('refreshed');
    if (sibling.outcome === 'refreshed')
      rememberSecret(sibling.secrets.access_token, sibling.secrets.refresh_token);

    // The reader looked before the sibling's commit; its decision under the lease sees the new tokens.
    const result = await core.refresh(key, { trigger: 'on_demand', minValiditySeconds: 60, snapshot: seen });

    expect(result.outcome).toBe('refreshed_by_sibling');
    expect(double.requests.count).toBe(1);
    expect(await leaseOf(key)).toBeNull();
  });

  it('a provider failure leaves the connection free: its commit ended the lease', async () => {
    const key = await connection();
    double.once({ mode: 'status', status: 503 });

    const result = await core.refresh(key, { trigger: 'forced' });

    expect(result.outcome).toBe('failed');
    expect(await leaseOf(key)).toBeNull();
  });

  it('an integration deleted under a leased connection gives the lease back with the not-found error', async () => {
    const key = await connection();
    await core.integrationStore.delete('strict');
    core.integrations.invalidate('strict');

    await expect(core.refresh(key, { trigger: 'forced' })).rejects.toMatchObject({ code: 'not_found' });

    expect(double.requests.count).toBe(0);
    expect(await leaseOf(key)).toBeNull();
  });

  it('an expired token without a refresh token ends needing its user, and the connection is free', async () => {
    const key = await connection({ refreshToken: null, expiresAt: clock.now() + 1_000 });
    clock.advance(2_000);

    const result = await core.refresh(key, { trigger: 'on_demand', minValiditySeconds: 60 });

    expect(result.outcome).toBe('needs_reauth');
    expect(await leaseOf(key)).toBeNull();
  });
});
