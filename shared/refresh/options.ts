import * as z from 'zod';
import { ServiceError } from '../errors';

/**
 * Timing of a refresh. The lease must outlive everything done under it: the provider call (with
 * its in-call retries) plus the commit budget (design.md invariant 6), checked at construction.
 */
/** What must fit in a lease: every provider call the refresh may make, then the commit budget. */
export function workUnderLeaseMs(o: {
  readonly providerTimeoutMs: number;
  readonly maxProviderCalls: number;
  readonly commitBudgetMs: number;
}): number {
  return o.providerTimeoutMs * o.maxProviderCalls + o.commitBudgetMs;
}

export const refreshOptionsSchema = z
  .object({
    /** Timeout of one provider call. */
    providerTimeoutMs: z.number().int().positive().default(10_000),
    /** Time reserved for decrypt/encrypt and the commit write after the provider answered. */
    commitBudgetMs: z.number().int().positive().default(5_000),
    /** Provider calls one refresh may make (1 + in-call retries of ambiguous answers). */
    maxProviderCalls: z.number().int().min(1).max(3).default(2),
    leaseMs: z.number().int().positive().default(40_000),
    /** How long an on-demand caller waits for another worker's lease before `refresh_in_progress`. */
    waitForLeaseMs: z.number().int().nonnegative().default(10_000),
    pollIntervalMs: z.number().int().positive().default(100),
    /** Clock skew tolerated when deciding whether a scheduled refresh is still due. */
    dueSkewMs: z.number().int().nonnegative().default(2_000),
  })
  .superRefine((o, ctx) => {
    const needed = workUnderLeaseMs(o);
    if (o.leaseMs <= needed) {
      ctx.addIssue({
        code: 'custom',
        path: ['leaseMs'],
        message: `leaseMs (${o.leaseMs}) must exceed providerTimeoutMs × maxProviderCalls + commitBudgetMs (${needed})`,
      });
    }
  });

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
