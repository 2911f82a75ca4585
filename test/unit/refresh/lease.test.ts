import { describe, expect, it } from 'vitest';
import type { ConnectionKey } from '../../../shared/domain/ids';
import { LeaseHeldError, NotFoundError, ServiceError } from '../../../shared/errors';
import type { Logger } from '../../../shared/ports/logger';
import type { ConnectionStore, Fence, StoredConnection } from '../../../shared/ports/store';
import { type LeaseDeps, withLease } from '../../../shared/refresh/lease';

const key: ConnectionKey = { integrationId: 'msft', connectionId: 'user-1' };
const NOW = Date.UTC(2026, 10, 25, 12);

/**
 * One connection's lease, as the store keeps it: `acquireLease` takes it when free, `releaseLease`
 * gives it back when the fence still matches, `commit` (here `endByCommit`) clears it and moves
 * the version on, as ports/store documents.
 */
class LeaseTable {
  version = 1;
  leaseUntil: number | null = null;
  releases = 0;
  releaseFails = false;
  missing = false;

  readonly store = {
    acquireLease: async (k: ConnectionKey, lease: { owner: string; now: number; leaseMs: number }) => {
      if (this.missing) throw new NotFoundError('connection msft/user-1');
      if (this.leaseUntil !== null && this.leaseUntil >= lease.now)
        throw new LeaseHeldError('msft/user-1', this.leaseUntil);
      this.version += 1;
      this.leaseUntil = lease.now + lease.leaseMs;
      return { ...k, version: this.version, incarnation: 'i1' } as unknown as StoredConnection;
    },
    releaseLease: async (_k: ConnectionKey, fence: Fence) => {
      this.releases += 1;
      if (this.releaseFails) throw new ServiceError('store_unavailable', 'throttled');
      if (fence.version === this.version) this.leaseUntil = null;
    },
  } as unknown as ConnectionStore;

  endByCommit(): void {
    this.version += 1;
    this.leaseUntil = null;
  }
}

function deps(table: LeaseTable, warnings: string[] = []): LeaseDeps {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (message) => warnings.push(message),
    error: () => {},
  };
  return {
    store: table.store,
    clock: { now: () => NOW },
    logger,
    owner: 'worker-1',
    options: { leaseMs: 8_000 },
  };
}

describe('withLease', () => {
  it('gives the lease back when the work answers without ending it (decided after the lease: nothing to do)', async () => {
    const table = new LeaseTable();

    const value = await withLease(deps(table), key, async () => ({ value: 'not_needed', leaseEnded: false }));

    expect(value).toBe('not_needed');
    expect(table.leaseUntil).toBeNull();
  });

  it('gives the lease back when the work throws, and the caller sees the work’s error', async () => {
    const table = new LeaseTable();
    const failure = new ServiceError('keyring_unavailable', 'KMS throttled');

    await expect(
      withLease(deps(table), key, async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);

    expect(table.leaseUntil).toBeNull();
  });

  it('makes no release after a commit that ended the lease', async () => {
    const table = new LeaseTable();

    const value = await withLease(deps(table), key, async () => {
      table.endByCommit();
      return { value: 'refreshed', leaseEnded: true };
    });

    expect(value).toBe('refreshed');
    expect(table.releases).toBe(0);
  });

  it('a failed release never changes the answer: the value stands, the failure is logged, the lease runs out', async () => {
    const table = new LeaseTable();
    table.releaseFails = true;
    const warnings: string[] = [];

    const value = await withLease(deps(table, warnings), key, async () => ({
      value: 'refreshed_by_sibling',
      leaseEnded: false,
    }));

    expect(value).toBe('refreshed_by_sibling');
    expect(warnings).toEqual(['lease release failed']);
    expect(table.leaseUntil).toBe(NOW + 8_000);
  });

  it('a failed release never replaces the work’s own error', async () => {
    const table = new LeaseTable();
    table.releaseFails = true;

    await expect(
      withLease(deps(table), key, async () => {
        throw new ServiceError('insufficient_time', 'not enough time left');
      }),
    ).rejects.toMatchObject({ code: 'insufficient_time' });
  });

  it('answers null without running the work while another worker holds the lease, and leaves that lease alone', async () => {
    const table = new LeaseTable();
    table.leaseUntil = NOW + 5_000;
    let ran = false;

    const value = await withLease(deps(table), key, async () => {
      ran = true;
      return { value: 'refreshed', leaseEnded: true };
    });

    expect(value).toBeNull();
    expect(ran).toBe(false);
    expect(table.releases).toBe(0);
    expect(table.leaseUntil).toBe(NOW + 5_000);
  });

  it('passes on a missing connection without running the work', async () => {
    const table = new LeaseTable();
    table.missing = true;

    await expect(
      withLease(deps(table), key, async () => ({ value: 'refreshed', leaseEnded: true })),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(table.releases).toBe(0);
  });

  it('hands the work the fence the lease returned', async () => {
    const table = new LeaseTable();
    let seen: Fence | undefined;

    await withLease(deps(table), key, async (_leased, fence) => {
      seen = fence;
      return { value: 'not_needed', leaseEnded: false };
    });

    expect(seen).toEqual({ version: 2, incarnation: 'i1' });
  });
});
