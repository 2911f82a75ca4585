import * as z from 'zod';
import { ServiceError } from '../errors';

/**
 * Timing of a refresh, as one rule (style.md 18): the lease must outlive everything done under it,
 * the provider call (with its in-call retries) plus the commit budget (design.md invariant 6), and
 * keeps {@link LEASE_MARGIN_MS} beyond that. The refresh checks it (./under-lease), the options
 * derive their default lease from it, the functions' configuration takes the lease from
 * {@link leaseMsFor}, and infra/refresh-pipeline.ts the refresher's Lambda timeout (and through
 * it the queue's visibility) from {@link invocationMsFor}.
 */

/** What must fit in a lease: every provider call the refresh may make, then the commit budget. */
export function workUnderLeaseMs(o: {
  readonly providerTimeoutMs: number;
  readonly maxProviderCalls: number;
  readonly commitBudgetMs: number;
}): number {
  return o.providerTimeoutMs * o.maxProviderCalls + o.commitBudgetMs;
}

/** Slack a lease keeps beyond the work it covers (clock skew between workers, scheduling delays). */
export const LEASE_MARGIN_MS = 10_000;

/**
 * The lease a deployment uses for a provider timeout: the work it covers (with the default calls
 * and commit budget) plus {@link LEASE_MARGIN_MS}; the default of `leaseMs`.
 */
export function leaseMsFor(providerTimeoutMs: number): number {
  return parseRefreshOptions({ providerTimeoutMs }).leaseMs;
}

/**
 * The time an invocation that runs refreshes (the refresher) should have, for a provider timeout:
 * a whole lease, then the work of one more refresh. A record that waits for its integration's slot
 * behind a refresh that used its whole lease still passes the start check (`insufficient_time`,
 * ./under-lease) instead of going back to the queue.
 */
export function invocationMsFor(providerTimeoutMs: number): number {
  const options = parseRefreshOptions({ providerTimeoutMs });
  return options.leaseMs + workUnderLeaseMs(options);
}

export const refreshOptionsSchema = z
  .object({
    /** Timeout of one provider call. */
    providerTimeoutMs: z.number().int().positive().default(10_000),
    /** Time reserved for decrypt/encrypt and the commit write after the provider answered. */
    commitBudgetMs: z.number().int().positive().default(5_000),
    /** Provider calls one refresh may make (1 + in-call retries of ambiguous answers). */
    maxProviderCalls: z.number().int().min(1).max(3).default(2),
    /** @default the work under the lease ({@link workUnderLeaseMs}) plus {@link LEASE_MARGIN_MS} */
    leaseMs: z.number().int().positive().optional(),
    /** How long an on-demand caller waits for another worker's lease before `refresh_in_progress`. */
    waitForLeaseMs: z.number().int().nonnegative().default(10_000),
    pollIntervalMs: z.number().int().positive().default(100),
    /** Clock skew tolerated when deciding whether a scheduled refresh is still due. */
    dueSkewMs: z.number().int().nonnegative().default(2_000),
  })
  .superRefine((o, ctx) => {
    const needed = workUnderLeaseMs(o);
    if (o.leaseMs !== undefined && o.leaseMs <= needed) {
      ctx.addIssue({
        code: 'custom',
        path: ['leaseMs'],
        message: `leaseMs (${o.leaseMs}) must exceed providerTimeoutMs × maxProviderCalls + commitBudgetMs (${needed})`,
      });
    }
  })
  .transform((o) => ({ ...o, leaseMs: o.leaseMs ?? workUnderLeaseMs(o) + LEASE_MARGIN_MS }));

export type RefreshOptions = z.output<typeof refreshOptionsSchema>;

export function parseRefreshOptions(input: z.input<typeof refreshOptionsSchema> = {}): RefreshOptions {
  const result = refreshOptionsSchema.safeParse(input);
  if (!result.success) {
    throw new ServiceError(
      'config_invalid',
      `invalid refresh options: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}
