import { describe, expect, it } from 'vitest';
import {
  invocationMsFor,
  LEASE_MARGIN_MS,
  leaseMsFor,
  parseRefreshOptions,
  workUnderLeaseMs,
} from '../../../shared/refresh/options';

describe('the lease-timing rule', () => {
  it('gives a lease that outlives two provider calls and the commit budget by the margin', () => {
    // 10 s provider timeout × 2 calls + 5 s commit budget + 10 s margin.
    expect(leaseMsFor(10_000)).toBe(35_000);
    const options = parseRefreshOptions({ providerTimeoutMs: 10_000 });
    expect(leaseMsFor(10_000)).toBe(workUnderLeaseMs(options) + LEASE_MARGIN_MS);
  });

  it('derives the default lease from the options given, so a longer provider timeout never outlives it', () => {
    const options = parseRefreshOptions({
      providerTimeoutMs: 20_000,
      maxProviderCalls: 3,
      commitBudgetMs: 2_000,
    });
    expect(options.leaseMs).toBe(20_000 * 3 + 2_000 + LEASE_MARGIN_MS);
    expect(parseRefreshOptions().leaseMs).toBe(leaseMsFor(10_000));
  });

  it('keeps a lease given explicitly', () => {
    expect(
      parseRefreshOptions({ providerTimeoutMs: 2_000, commitBudgetMs: 1_000, leaseMs: 8_000 }).leaseMs,
    ).toBe(8_000);
  });

  it('refuses a lease the work under it would outlive', () => {
    expect(() => parseRefreshOptions({ providerTimeoutMs: 10_000, leaseMs: 25_000 })).toThrow(
      /leaseMs \(25000\) must exceed .* \(25000\)/,
    );
  });

  it('gives the refresher a whole lease and then one more refresh’s work (60 s for a 10 s provider timeout)', () => {
    expect(invocationMsFor(10_000)).toBe(60_000);
    expect(invocationMsFor(10_000) - leaseMsFor(10_000)).toBe(
      workUnderLeaseMs(parseRefreshOptions({ providerTimeoutMs: 10_000 })),
    );
  });
});
