// What a torture schedule is made of, and fast-check arbitraries that generate (and shrink) them.
import fc from 'fast-check';
import type { ProviderFault, RotationMode } from '../support/fake-provider';

/** Where a refresh can be stopped. `before_commit` / `before_ack` fire only once the core has them. */
export const FAILPOINTS = [
  'after_lease',
  'after_provider_answer',
  'before_commit',
  'after_commit',
  'before_ack',
] as const;
export type TortureFailpoint = (typeof FAILPOINTS)[number];

/** What happens at a failpoint: the process dies there, freezes there (until `resume`), or a fault is armed. */
export type FailpointAction =
  | { readonly at: TortureFailpoint; readonly action: 'crash' | 'pause' }
  | { readonly at: TortureFailpoint; readonly action: 'kms_throttle' }
  | { readonly at: TortureFailpoint; readonly action: 'ddb_throttle'; readonly times: number }
  | { readonly at: TortureFailpoint; readonly action: 'ddb_lost_response' };

export type Step =
  /** GET .../token through the route. */
  | {
      readonly k: 'token';
      readonly w: number;
      readonly min: number;
      readonly force: boolean;
      readonly fp?: FailpointAction | undefined;
    }
  /** The refresher acting on a due-index hit (scheduler tick + SQS delivery). */
  | { readonly k: 'tick'; readonly w: number; readonly fp?: FailpointAction | undefined }
  /** POST .../refresh through the route. */
  | { readonly k: 'force'; readonly w: number; readonly fp?: FailpointAction | undefined }
  | { readonly k: 'advance'; readonly ms: number }
  | { readonly k: 'provider'; readonly fault: ProviderFault }
  /** The provider revokes the grant on its own (the user disconnected the app). */
  | { readonly k: 'revoke' }
  /** PUT .../connections/{id}: a new grant, or the same access refresh without a refresh token. */
  | { readonly k: 'import'; readonly w: number; readonly refreshToken: 'new' | 'none' }
  /** DELETE, then PUT a new grant under the same id. */
  | { readonly k: 'recreate'; readonly w: number }
  /** The integration's client secret is replaced (wrong, then fixed later). */
  | { readonly k: 'secret'; readonly w: number; readonly good: boolean }
  | { readonly k: 'kms'; readonly w: number; readonly op: 'generate' | 'unwrap' }
  | {
      readonly k: 'ddb';
      readonly w: number;
      readonly command: 'GetItem' | 'UpdateItem';
      readonly kind: 'throttle' | 'timeout' | 'lost_response';
      readonly times: number;
    }
  | { readonly k: 'sqs'; readonly kind: 'fail' | 'lost' }
  | { readonly k: 'resume'; readonly w: number }
  | { readonly k: 'crash'; readonly w: number }
  /**
   * A worker freezes at a step boundary of a refresh (`trigger`), the `inner` steps run meanwhile
   * (a delete and re-create, another worker's refresh, time passing past the lease...), then the
   * frozen worker resumes or dies.
   */
  | {
      readonly k: 'race';
      readonly w: number;
      readonly trigger: 'tick' | 'force' | 'token';
      readonly at: 'after_lease' | 'after_provider_answer' | 'before_commit';
      readonly inner: readonly Step[];
      readonly end: 'resume' | 'crash';
    }
  /** Two overlapping batches through the real refresher handler, one with a poison record. */
  | { readonly k: 'batches'; readonly poisonIn: 'first' | 'second'; readonly good: number };

export interface Schedule {
  readonly rotation: RotationMode;
  readonly graceSeconds: number;
  /** Clock skew of each worker (ms); worker 0 is the reference. */
  readonly skews: readonly number[];
  readonly initialRefreshToken: boolean;
  readonly seed: number;
  readonly steps: readonly Step[];
}

const worker = fc.integer({ min: 0, max: 2 });

const failpoint: fc.Arbitrary<FailpointAction> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      at: fc.constantFrom(...FAILPOINTS),
      action: fc.constantFrom('crash' as const, 'pause' as const, 'pause' as const),
    }),
  },
  fc.record({
    at: fc.constant('after_provider_answer' as const),
    action: fc.constant('kms_throttle' as const),
  }),
  fc.record({
    at: fc.constant('after_provider_answer' as const),
    action: fc.constant('ddb_throttle' as const),
    times: fc.integer({ min: 1, max: 5 }),
  }),
  fc.record({
    at: fc.constant('after_provider_answer' as const),
    action: fc.constant('ddb_lost_response' as const),
  }),
);

const maybeFailpoint = fc.option(failpoint, { freq: 2, nil: undefined });

const absurdNumber = fc.constantFrom<number | string>(
  1e13,
  1e200,
  '1e200',
  '9007199254740993',
  1e21,
  253_402_300_800,
);

const providerFault: fc.Arbitrary<ProviderFault> = fc.oneof(
  fc.record({ kind: fc.constant('status' as const), status: fc.constantFrom(500, 502, 503) }),
  fc.record({
    kind: fc.constant('rate_limited' as const),
    retryAfter: fc.constantFrom('1', '30', '120', '10000000000000', 'Fri, 31 Dec 9999 23:59:59 GMT'),
  }),
  fc.constant({ kind: 'slow_past_timeout' as const }),
  fc.constant({ kind: 'rotate_then_drop' as const }),
  fc.constant({ kind: 'connect_refused' as const }),
  fc.record({
    kind: fc.constant('garbage' as const),
    body: fc.constantFrom('<html>oops</html>', '{"ok":true}', ''),
  }),
  fc.record({
    kind: fc.constant('absurd' as const),
    field: fc.constantFrom(
      'expires_in' as const,
      'expires_at' as const,
      'jwt_exp' as const,
      'refresh_token_expires_in' as const,
    ),
    value: absurdNumber,
  }),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        k: fc.constant('token' as const),
        w: worker,
        min: fc.constantFrom(60, 600, 3000, 7200),
        force: fc.constantFrom(false, false, false, false, true),
        fp: maybeFailpoint,
      },
      { requiredKeys: ['k', 'w', 'min', 'force'] },
    ),
  },
  {
    weight: 5,
    arbitrary: fc.record(
      { k: fc.constant('tick' as const), w: worker, fp: maybeFailpoint },
      { requiredKeys: ['k', 'w'] },
    ),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      { k: fc.constant('force' as const), w: worker, fp: maybeFailpoint },
      { requiredKeys: ['k', 'w'] },
    ),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      k: fc.constant('advance' as const),
      ms: fc.constantFrom(1_000, 9_000, 60_000, 600_000, 3_600_000),
    }),
  },
  { weight: 6, arbitrary: fc.record({ k: fc.constant('provider' as const), fault: providerFault }) },
  { weight: 1, arbitrary: fc.constant({ k: 'revoke' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('import' as const),
      w: worker,
      refreshToken: fc.constantFrom('new' as const, 'none' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('recreate' as const), w: worker }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('secret' as const),
      w: worker,
      good: fc.constantFrom(false, false, true),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('kms' as const),
      w: worker,
      op: fc.constantFrom('generate' as const, 'unwrap' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant('ddb' as const),
      w: worker,
      command: fc.constantFrom('GetItem' as const, 'UpdateItem' as const),
      kind: fc.constantFrom('throttle' as const, 'timeout' as const, 'lost_response' as const),
      times: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('sqs' as const),
      kind: fc.constantFrom('fail' as const, 'lost' as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('resume' as const), w: worker }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('crash' as const), w: worker }) },
  {
    weight: 1,
    arbitrary: fc.record({
      k: fc.constant('batches' as const),
      poisonIn: fc.constantFrom('first' as const, 'second' as const),
      good: fc.integer({ min: 1, max: 3 }),
    }),
  },
);

const race: fc.Arbitrary<Step> = fc.record({
  k: fc.constant('race' as const),
  w: worker,
  trigger: fc.constantFrom('tick' as const, 'force' as const, 'token' as const),
  at: fc.constantFrom('after_lease' as const, 'after_provider_answer' as const, 'before_commit' as const),
  // Biased towards what makes a frozen worker dangerous: the connection deleted and re-created,
  // another worker's refresh, new credentials.
  inner: fc.array(
    fc.oneof(
      { weight: 4, arbitrary: step },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('recreate' as const), w: worker }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('tick' as const), w: worker }) },
    ),
    { minLength: 1, maxLength: 5 },
  ),
  end: fc.constantFrom('resume' as const, 'resume' as const, 'crash' as const),
});

export const scheduleArbitrary: fc.Arbitrary<Schedule> = fc.record({
  rotation: fc.constantFrom<RotationMode>('strict', 'strict', 'grace', 'non_rotating', 'echo'),
  graceSeconds: fc.constantFrom(5, 60),
  skews: fc.tuple(
    fc.constant(0),
    fc.integer({ min: -1500, max: 1500 }),
    fc.integer({ min: -1500, max: 1500 }),
  ),
  initialRefreshToken: fc.constantFrom(true, true, true, true, true, false),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  steps: fc.array(fc.oneof({ weight: 5, arbitrary: step }, { weight: 1, arbitrary: race }), {
    minLength: 1,
    maxLength: 16,
  }),
});

/** One line per step, for the shrunk schedule printed on failure. */
export function describeSchedule(s: Schedule): string {
  const head = `rotation=${s.rotation}${s.rotation === 'grace' ? `(${s.graceSeconds}s)` : ''} skews=[${s.skews.join(',')}] initial_refresh_token=${s.initialRefreshToken} jitter_seed=${s.seed}`;
  return [head, ...s.steps.map((st, i) => `  ${String(i + 1).padStart(2)}. ${JSON.stringify(st)}`)].join(
    '\n',
  );
}
