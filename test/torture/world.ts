// One schedule's world: several workers (separate "processes": own DynamoDB client with its SDK fault
// plan, keyring cache, integration cache, single-flight map and skewed clock) sharing one dynalite
// table, one in-process provider and one event queue; the steps are run against it in order.
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { decodeConnection } from '../../shared/adapters/aws/dynamodb/codec';
import { DynamoConnectionStore } from '../../shared/adapters/aws/dynamodb/connections';
import { connectionSk, integrationPk } from '../../shared/adapters/aws/dynamodb/table';
import { createTokenClient } from '../../shared/adapters/http/token-client';
import { createLocalKeyring } from '../../shared/adapters/local/keyring';
import type { ApiDeps } from '../../shared/api/deps';
import { toApiError } from '../../shared/api/errors';
import type { AnyRoute } from '../../shared/api/route';
import { connectionRoutes } from '../../shared/api/routes/connections';
import { tokenRoutes } from '../../shared/api/routes/token';
import type { OutboxEvent } from '../../shared/domain/events';
import type { ConnectionKey } from '../../shared/domain/ids';
import { processRefreshRecord, RefreshLimiter } from '../../shared/pipeline/refresher';
import type { Clock } from '../../shared/ports/clock';
import type { EventPublisher } from '../../shared/ports/events';
import type { Keyring } from '../../shared/ports/keyring';
import { nullMetrics } from '../../shared/ports/metrics';
import type { StoredConnection } from '../../shared/ports/store';
import { type FailpointName, SimulatedCrash } from '../../shared/refresh/failpoints';
import { publishOutbox } from '../../shared/refresh/outbox';
import { decryptSecrets } from '../../shared/refresh/secrets';
import { type Core, createCore, RecordingPublisher } from '../support/core';
import type { TestDynamo } from '../support/dynamo';
import { FakeProvider, type Family, type Rotation } from '../support/fake-provider';
import { createFaultyKeyring, type FaultyDataKeyProvider } from '../support/faulty-keyring';
import type { SdkAttempt, SdkFaultPlan } from '../support/sdk-faults';
import { type EndState, Oracle, type Violation, type WriteRecord } from './oracle';
import type { FailpointAction, Schedule, Step } from './schedule';

export const LEASE_MS = 8_000;
export const REFRESH_OPTIONS = {
  providerTimeoutMs: 2_000,
  commitBudgetMs: 1_000,
  leaseMs: LEASE_MS,
  waitForLeaseMs: 2_000,
  pollIntervalMs: 250,
};
const GOOD_SECRET = 'cs_good_0123456789abcdef';
const BAD_SECRET = 'cs_wrong_fedcba9876543210';
const START = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Infrastructure shared by every schedule of a run. */
export interface Shared {
  readonly dynamo: TestDynamo;
  readonly table: string;
  readonly masterKey: Uint8Array;
  /** One DynamoDB client per worker slot, each with its fault plan (cleared per schedule). */
  readonly clients: readonly DynamoDBClient[];
  readonly plans: readonly SdkFaultPlan[];
  /** Drives the real refresher handler (two overlapping batches), or undefined to skip those steps. */
  readonly batches?: (poisonIn: 'first' | 'second', good: number, integrationId: string) => Promise<string[]>;
  readonly runTag: string;
}

/** A seeded PRNG (mulberry32) for jitter, so a schedule replays identically. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Sim {
  t = START;
}

class SkewedClock implements Clock {
  constructor(
    private readonly sim: Sim,
    readonly skew: number,
  ) {}
  now(): number {
    return this.sim.t + this.skew;
  }
  async sleep(ms: number): Promise<void> {
    this.sim.t += Math.max(0, ms);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The webhook queue, with SQS faults: refused, or accepted but unanswered (lost response). */
class FaultyPublisher extends RecordingPublisher implements EventPublisher {
  override failNext = 0;
  loseNext = 0;
  fired = 0;
  override async publish(events: readonly OutboxEvent[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      this.fired += 1;
      throw new Error('SQS throttled (injected)');
    }
    this.events.push(...events);
    if (this.loseNext > 0) {
      this.loseNext -= 1;
      this.fired += 1;
      throw new Error('SQS response lost (injected)');
    }
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

interface Paused {
  readonly at: string;
  readonly gate: Deferred<'resume' | 'crash'>;
  readonly flight: Promise<void>;
}

interface Worker {
  readonly index: number;
  readonly clock: SkewedClock;
  readonly plan: SdkFaultPlan;
  core: Core;
  /** What the API routes get in this worker (the ports the torture's routes use). */
  api: ApiDeps;
  keyService: FaultyDataKeyProvider;
  arm: FailpointAction | undefined;
  paused: Paused | undefined;
  pauseReached: Deferred<void> | undefined;
  leaseAt: number;
  rotationMark: number;
  flightRotation: Rotation | null;
  crashed: boolean;
}

/** What a step's call ended with. */
type CallResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly ok: false; readonly status: number; readonly code: string; readonly error: unknown };

const ALL_ROUTES: readonly AnyRoute<ApiDeps>[] = [...connectionRoutes, ...tokenRoutes];
function routeOf(operationId: string): AnyRoute<ApiDeps> {
  const found = ALL_ROUTES.find((r) => r.operationId === operationId);
  if (found === undefined) throw new Error(`no route ${operationId}`);
  return found;
}

export interface ScheduleReport {
  readonly violations: Violation[];
  readonly faults: number;
  readonly grantsLost: number;
}

/** Runs one schedule and checks the oracle; never throws for what the service does. */
export async function runSchedule(shared: Shared, schedule: Schedule, seq: number): Promise<ScheduleReport> {
  const world = new World(shared, schedule, seq);
  let timer: NodeJS.Timeout | undefined;
  // A schedule takes milliseconds of simulated time; one that is still running after this much real
  // time is stuck (a flight that never settles), which is a finding in itself.
  const watchdog = new Promise<'stuck'>((resolve) => {
    timer = setTimeout(() => resolve('stuck'), 30_000);
  });
  try {
    const outcome = await Promise.race([world.run(), watchdog]);
    if (outcome !== 'stuck') return outcome;
    world.violate('schedule_stuck', `step ${world.oracle.step} did not finish within 30 s of real time`);
    return {
      violations: world.oracle.violations,
      faults: world.faults,
      grantsLost: world.oracle.lostGrants.size,
    };
  } finally {
    clearTimeout(timer);
    world.dispose();
  }
}

class World {
  readonly sim = new Sim();
  readonly provider: FakeProvider;
  readonly publisher = new FaultyPublisher();
  readonly workers: Worker[] = [];
  readonly key: ConnectionKey;
  readonly oracle = new Oracle();
  readonly writes: WriteRecord[] = [];
  readonly apiBodies: string[] = [];
  /** Refresh tasks as they would sit on the queue (scanned for secrets). */
  readonly queueMessages: string[] = [];
  readonly random: () => number;
  faults = 0;
  /** The grant the current incarnation was given (null: imported without a refresh token). */
  grant: Family | null = null;
  exists = false;
  private writeSeq = 0;
  private readonly captured: string[] = [];
  private readonly restoreOutput: () => void;

  constructor(
    readonly shared: Shared,
    readonly schedule: Schedule,
    seq: number,
  ) {
    this.random = prng(schedule.seed);
    this.audit = {
      store: new DynamoConnectionStore(shared.dynamo.client, { tableName: shared.table }),
      keyring: createLocalKeyring(shared.masterKey),
    };
    this.key = { integrationId: `tt-${shared.runTag}-${seq}`, connectionId: 'c1' };
    this.provider = new FakeProvider({
      rotation: schedule.rotation,
      graceSeconds: schedule.graceSeconds,
      clientId: 'client-1',
      clientSecret: GOOD_SECRET,
      now: () => this.sim.t,
    });
    const pk = integrationPk(this.key.integrationId);
    const sk = connectionSk(this.key.connectionId);
    for (const [index, plan] of shared.plans.entries()) {
      plan.clear();
      plan.observer = (attempt) => this.observe(attempt, pk, sk);
      const clock = new SkewedClock(this.sim, schedule.skews[index] ?? 0);
      const worker = { index, clock, plan } as Worker;
      this.build(worker);
      this.workers.push(worker);
    }
    this.restoreOutput = this.captureOutput();
  }

  dispose(): void {
    this.restoreOutput();
    for (const plan of this.shared.plans) {
      plan.clear();
      plan.observer = undefined;
    }
  }

  /** (Re)builds a worker's process state: a crash loses caches, single flights and data keys. */
  private build(worker: Worker): void {
    const client = this.shared.clients[worker.index] as DynamoDBClient;
    const { keyring, keyService } = createFaultyKeyring(this.shared.masterKey, {
      now: () => worker.clock.now(),
    });
    const core = createCore({
      dynamo: { ...this.shared.dynamo, client },
      table: this.shared.table,
      keyring,
      tokenClient: createTokenClient({
        transport: this.provider.transport(`w${worker.index}`),
        allowPrivateUrls: true,
        retryDelayMs: 0,
      }),
      clock: worker.clock,
      failpoints: (name) => this.failpoint(worker, name),
      options: REFRESH_OPTIONS,
      publisher: this.publisher,
      owner: `w${worker.index}`,
      random: this.random,
    });
    worker.core = core;
    worker.keyService = keyService;
    worker.api = {
      config: { allowPrivateUrls: true, providerTimeoutMs: REFRESH_OPTIONS.providerTimeoutMs },
      keyring,
      store: core.store,
      integrationStore: core.integrationStore,
      integrations: core.integrations,
      publisher: this.publisher,
      clock: worker.clock,
      logger: core.deps.logger,
      refresh: core.deps,
    } as Partial<ApiDeps> as ApiDeps;
    worker.arm = undefined;
    worker.paused = undefined;
    worker.pauseReached = undefined;
    worker.leaseAt = 0;
    worker.rotationMark = 0;
    worker.flightRotation = null;
    worker.crashed = false;
  }

  private captureOutput(): () => void {
    const streams = [process.stdout, process.stderr] as const;
    const originals = streams.map((s) => s.write);
    for (const stream of streams) {
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        this.captured.push(
          typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'),
        );
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof stream.write;
    }
    return () => {
      streams.forEach((s, i) => {
        s.write = originals[i] as typeof s.write;
      });
    };
  }

  violate(kind: string, detail: string): void {
    this.oracle.violate(kind, detail);
  }

  private observe(attempt: SdkAttempt, pk: string, sk: string): void {
    const key = attempt.input.Key as Record<string, AttributeValue> | undefined;
    if (key?.pk?.S !== pk || key.sk?.S !== sk) return;
    if (attempt.output === undefined) return;
    if (attempt.command === 'DeleteItem') {
      this.writes.push({
        seq: this.writeSeq++,
        kind: 'delete',
        connection: null,
        lost: attempt.lost,
        grantless: false,
      });
      return;
    }
    if (attempt.command !== 'UpdateItem') return;
    const attributes = attempt.output.Attributes as Record<string, AttributeValue> | undefined;
    if (attributes === undefined) return;
    let connection: StoredConnection | null = null;
    try {
      connection = decodeConnection(attributes);
    } catch (error) {
      this.violate(
        'unreadable_item',
        `a write left an item that does not decode: ${errorName(error)} ${zodPaths(error)}`,
      );
    }
    this.writes.push({
      seq: this.writeSeq++,
      kind: 'update',
      connection,
      lost: attempt.lost,
      grantless: this.exists && this.grant === null,
    });
  }

  // ---- failpoints -------------------------------------------------------------------------

  private async failpoint(worker: Worker, name: FailpointName | string): Promise<void> {
    if (name === 'after_lease') {
      worker.leaseAt = worker.clock.now();
      worker.rotationMark = this.rotationCount();
      worker.flightRotation = null;
    }
    if (name === 'after_provider_answer') {
      worker.flightRotation =
        this.allRotations()
          .slice(worker.rotationMark)
          .find((r) => r.client === `w${worker.index}` && r.delivered) ?? null;
    }
    const arm = worker.arm;
    if (arm === undefined || arm.at !== name) return;
    worker.arm = undefined;
    this.faults += 1;
    const betweenAnswerAndCommit = name === 'after_provider_answer' || name === 'before_commit';
    switch (arm.action) {
      case 'crash':
        if (betweenAnswerAndCommit) this.excuse(worker, `process died at ${name}`);
        worker.crashed = true;
        throw new SimulatedCrash(name as FailpointName);
      case 'pause': {
        const gate = deferred<'resume' | 'crash'>();
        worker.paused = { at: name, gate, flight: Promise.resolve() };
        worker.pauseReached?.resolve();
        const action = await gate.promise;
        if (action === 'crash') {
          if (betweenAnswerAndCommit) this.excuse(worker, `process died while frozen at ${name}`);
          worker.crashed = true;
          throw new SimulatedCrash(name as FailpointName);
        }
        // A peer whose clock runs ahead (skews spread up to 3 s) may take the lease that much early.
        if (betweenAnswerAndCommit && worker.clock.now() >= worker.leaseAt + LEASE_MS - 3_000) {
          this.excuse(worker, `frozen at ${name} past its lease`);
        }
        return;
      }
      case 'kms_throttle':
        worker.keyService.failGenerate += 5;
        worker.keyService.failUnwrap += 5;
        return;
      case 'ddb_throttle':
        worker.plan.add({ kind: 'throttle', command: 'UpdateItem', times: arm.times });
        return;
      case 'ddb_lost_response':
        worker.plan.add({ kind: 'lost_response', command: 'UpdateItem', times: 1 });
        return;
    }
  }

  private excuse(worker: Worker, why: string): void {
    if (worker.flightRotation !== null && worker.flightRotation.excused === null)
      worker.flightRotation.excused = why;
  }

  private allRotations(): Rotation[] {
    return this.provider.families.flatMap((f) => f.rotations);
  }

  private rotationCount(): number {
    return this.allRotations().length;
  }

  // ---- running ----------------------------------------------------------------------------

  async run(): Promise<ScheduleReport> {
    await this.setup();
    for (const [i, step] of this.schedule.steps.entries()) {
      this.oracle.step = i + 1;
      try {
        await this.runStep(step);
      } catch (error) {
        this.unexpected(error, step.k);
      }
      for (const worker of this.workers) worker.arm = undefined;
    }
    this.oracle.step = 0;
    await this.quiesce();
    await this.checkEnd();
    return {
      violations: this.oracle.violations,
      faults: this.faults + this.firedFaults(),
      grantsLost: this.oracle.lostGrants.size,
    };
  }

  private firedFaults(): number {
    const sdk = this.shared.plans.reduce(
      (n, p) => n + p.fired.throttle + p.fired.timeout + p.fired.lost_response,
      0,
    );
    const kms = this.workers.reduce((n, w) => n + w.keyService.fired, 0);
    return sdk + kms + this.publisher.fired + this.provider.calls.filter((c) => c.fault !== null).length;
  }

  private async setup(): Promise<void> {
    const w0 = this.workers[0] as Worker;
    await w0.core.putIntegration(
      this.key.integrationId,
      {
        provider: 'custom',
        client_id: 'client-1',
        token_url: 'http://provider.test/token',
        client_auth: 'client_secret_basic',
        rotates_refresh_token: this.schedule.rotation === 'strict' || this.schedule.rotation === 'grace',
        reuse_grace_seconds: this.schedule.rotation === 'grace' ? this.schedule.graceSeconds : null,
        refresh: {
          margin_seconds: 300,
          keepalive_seconds: 7_200,
          jitter_seconds: 60,
          retry_base_seconds: 5,
          retry_max_seconds: 120,
          retry_horizon_seconds: 900,
        },
      } as Parameters<Core['putIntegration']>[1],
      GOOD_SECRET,
    );
    await this.importGrant(w0, this.schedule.initialRefreshToken ? 'new' : 'none', true);
  }

  private async importGrant(
    worker: Worker,
    refreshToken: 'new' | 'none',
    creating: boolean,
  ): Promise<CallResult> {
    const token = refreshToken === 'new' ? this.provider.mintFamily() : null;
    const body = {
      access_token: this.provider.accessToken(),
      ...(token === null ? {} : { refresh_token: token }),
      expires_in: 3600,
      token_type: 'Bearer',
    };
    const result = await this.call(worker, 'putConnection', {}, body);
    // Judge by what was stored: an import whose answer was lost may have landed all the same.
    const stored = await this.snapshot();
    this.exists = stored !== null;
    const landed = stored !== null && (result.ok || (token !== null && stored.refreshToken === token));
    if (landed) {
      if (token !== null) this.grant = this.provider.familyOf(token) ?? null;
      else if (creating) this.grant = null;
    }
    return result;
  }

  private async runStep(step: Step): Promise<void> {
    if ('w' in step) {
      const worker = this.workers[step.w] as Worker;
      if (worker.paused !== undefined && step.k !== 'resume' && step.k !== 'crash') return; // a frozen process does nothing
    }
    switch (step.k) {
      case 'advance':
        this.sim.t += step.ms;
        return;
      case 'provider':
        this.provider.inject(step.fault);
        return;
      case 'revoke':
        if (this.grant !== null) this.provider.revoke(this.grant);
        this.faults += 1;
        return;
      case 'kms': {
        const w = this.workers[step.w] as Worker;
        if (step.op === 'generate') w.keyService.failGenerate += 1;
        else w.keyService.failUnwrap += 1;
        return;
      }
      case 'ddb':
        (this.workers[step.w] as Worker).plan.add({
          kind: step.kind,
          command: step.command,
          times: step.times,
        });
        return;
      case 'sqs':
        if (step.kind === 'fail') this.publisher.failNext += 1;
        else this.publisher.loseNext += 1;
        return;
      case 'secret': {
        const w = this.workers[step.w] as Worker;
        await this.guard(async () => {
          const stored = await w.core.integrationStore.get(this.key.integrationId);
          if (stored !== null)
            await w.core.putIntegration(
              this.key.integrationId,
              stored.config,
              step.good ? GOOD_SECRET : BAD_SECRET,
            );
        });
        this.faults += step.good ? 0 : 1;
        return;
      }
      case 'resume':
      case 'crash':
        return this.release(this.workers[step.w] as Worker, step.k);
      case 'import':
        return this.importStep(this.workers[step.w] as Worker, step.refreshToken);
      case 'recreate':
        return this.recreate(this.workers[step.w] as Worker);
      case 'token':
        return this.flight(this.workers[step.w] as Worker, step.fp, () =>
          this.tokenStep(this.workers[step.w] as Worker, step.min, step.force),
        );
      case 'force':
        return this.flight(this.workers[step.w] as Worker, step.fp, () =>
          this.forceStep(this.workers[step.w] as Worker),
        );
      case 'tick':
        return this.flight(this.workers[step.w] as Worker, step.fp, () =>
          this.tickStep(this.workers[step.w] as Worker),
        );
      case 'batches':
        return this.batchesStep(step.poisonIn, step.good);
      case 'race':
        return this.race(step);
    }
  }

  /** Runs a refresh-bearing step; with a `pause` failpoint it may leave the flight frozen. */
  private async flight(
    worker: Worker,
    fp: FailpointAction | undefined,
    work: () => Promise<void>,
  ): Promise<void> {
    if (!this.exists) return;
    worker.arm = fp;
    const reached = deferred<void>();
    worker.pauseReached = reached;
    const running = work().then(
      () => undefined,
      (error: unknown) => this.unexpected(error, 'step'),
    );
    const first = await Promise.race([
      running.then(() => 'done' as const),
      reached.promise.then(() => 'paused' as const),
    ]);
    worker.pauseReached = undefined;
    if (first === 'paused' && worker.paused !== undefined) {
      worker.paused = { ...worker.paused, flight: running };
      return;
    }
    if (worker.crashed) this.build(worker);
  }

  private async race(step: Extract<Step, { k: 'race' }>): Promise<void> {
    const worker = this.workers[step.w] as Worker;
    if (worker.paused !== undefined) return; // already frozen: a new flight would join the frozen one
    const fp: FailpointAction = { at: step.at, action: 'pause' };
    const work =
      step.trigger === 'tick'
        ? () => this.tickStep(worker)
        : step.trigger === 'force'
          ? () => this.forceStep(worker)
          : () => this.tokenStep(worker, 600, false);
    await this.flight(worker, fp, work);
    for (const inner of step.inner) {
      if (inner.k === 'race') continue;
      try {
        await this.runStep(inner);
      } catch (error) {
        this.unexpected(error, inner.k);
      }
      for (const w of this.workers) w.arm = undefined;
    }
    await this.release(worker, step.end);
  }

  private async release(worker: Worker, action: 'resume' | 'crash'): Promise<void> {
    const paused = worker.paused;
    if (paused === undefined) {
      if (action === 'crash') {
        this.faults += 1;
        this.build(worker); // a crash between steps: caches and flights are gone
      }
      return;
    }
    paused.gate.resolve(action);
    await paused.flight;
    worker.paused = undefined;
    if (worker.crashed || action === 'crash') this.build(worker);
  }

  private async guard(work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.unexpected(error, 'call');
    }
  }

  /** Errors a step may end with; anything else is a violation. */
  private unexpected(error: unknown, where: string): void {
    if (error instanceof SimulatedCrash) return;
    const api = toApiError(error);
    if (api !== null && (api.status < 500 || api.status === 502)) return;
    if (api !== null && api.status === 503) {
      const bad = causeNames(error).find(
        (n) => n === 'ValidationException' || n === 'RangeError' || n === 'SerializationException',
      );
      if (bad !== undefined) this.violate('unexpected_error', `${where}: ${api.code} caused by ${bad}`);
      return;
    }
    this.violate('unexpected_error', `${where}: ${errorName(error)}: ${safeMessage(error)}`);
  }

  // ---- API calls ----------------------------------------------------------------------------

  private async call(
    worker: Worker,
    operationId: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<CallResult> {
    const route = routeOf(operationId);
    const params = { integration_id: this.key.integrationId, connection_id: this.key.connectionId };
    try {
      const result = await route.handle({
        deps: worker.api,
        params: route.params?.parse(params) ?? params,
        query: route.query?.parse(query),
        body: route.body?.parse(body),
        headers: {},
        requestId: 'torture',
        remainingTimeMs: () => 60_000,
      });
      const text = 'body' in result && result.body !== undefined ? JSON.stringify(result.body) : '';
      this.apiBodies.push(text);
      return { ok: true, status: result.status, body: 'body' in result ? result.body : undefined };
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      const api = toApiError(error);
      if (api === null) {
        this.unexpected(error, operationId);
        return { ok: false, status: 500, code: 'internal', error };
      }
      this.unexpected(error, operationId);
      this.apiBodies.push(
        JSON.stringify({ error: { code: api.code, message: api.message, details: api.details } }),
      );
      return { ok: false, status: api.status, code: api.code, error };
    }
  }

  private async snapshot(): Promise<{ connection: StoredConnection; refreshToken: string | null } | null> {
    try {
      const connection = await this.audit.store.get(this.key);
      if (connection === null) return null;
      const secrets = await decryptSecrets(this.audit.keyring, connection);
      return { connection, refreshToken: secrets.refresh_token };
    } catch {
      return null;
    }
  }

  private async tokenStep(worker: Worker, min: number, force: boolean): Promise<void> {
    await this.call(worker, 'getToken', {
      min_validity_seconds: String(min),
      ...(force ? { force_refresh: 'true' } : {}),
    });
  }

  /** The scheduler found the connection due and the refresher got its task (the real record processor). */
  private async tickStep(worker: Worker): Promise<void> {
    const task = {
      v: 1,
      integration_id: this.key.integrationId,
      connection_id: this.key.connectionId,
      due_at: Math.max(0, this.sim.t - 1_000),
    };
    this.queueMessages.push(JSON.stringify(task));
    try {
      await processRefreshRecord(
        {
          refresh: worker.core.deps,
          limiter: new RefreshLimiter({ concurrency: 4, perIntegration: 2 }),
          logger: worker.core.deps.logger,
          metrics: nullMetrics,
        },
        this.queueMessages[this.queueMessages.length - 1] as string,
        () => 60_000,
      );
    } catch (error) {
      if (error instanceof SimulatedCrash) throw error;
      this.unexpected(error, 'scheduled refresh');
    }
  }

  private async forceStep(worker: Worker): Promise<void> {
    const before = await this.snapshot();
    const callsBefore = this.provider.calls.length;
    const lostBefore = worker.plan.lostWrites;
    // Judged before the call: a fault the call consumes no longer shows afterwards.
    const quiet = this.quiet(worker);
    const result = await this.call(worker, 'refreshConnection', {});
    if (before === null) return;
    const now = this.sim.t;
    const c = before.connection;
    const leaseFree = c.leaseUntil === null || c.leaseUntil < now - 2_000;
    if (before.refreshToken === null && c.status !== 'needs_reauth' && quiet && leaseFree) {
      const expired = c.accessTokenExpiresAt !== null && c.accessTokenExpiresAt <= now;
      if (result.status !== 409 && !(expired && result.status === 424))
        this.violate(
          'no_refresh_token_refreshed',
          `forced refresh of a connection without refresh token answered ${result.status}, not 409`,
        );
    }
    if (
      before.refreshToken !== null &&
      c.status === 'failing' &&
      c.nextRefreshAt !== null &&
      c.nextRefreshAt > now + 1_000 &&
      !this.retryAfterInForce(now) &&
      quiet &&
      leaseFree &&
      this.provider.calls.length === callsBefore &&
      !result.ok &&
      result.status === 503 &&
      (result as { code: string }).code === 'provider_unavailable'
    ) {
      this.violate(
        'backoff_replayed',
        `a forced refresh during backoff (no Retry-After in force) answered 503 without calling the provider: ${errorName((result as { error: unknown }).error)} ${safeMessage((result as { error: unknown }).error)}`,
      );
    }
    if (!result.ok && worker.plan.lostWrites > lostBefore && isStaleFence(result.error)) {
      this.violate(
        'lost_commit_not_recognised',
        'a commit whose response was lost was reported as a stale fence',
      );
    }
  }

  /** No fault armed that could legitimately stop this call before the provider. */
  private quiet(worker: Worker): boolean {
    return (
      worker.plan.pending === 0 &&
      worker.keyService.failGenerate === 0 &&
      worker.keyService.failUnwrap === 0 &&
      worker.arm === undefined &&
      this.workers.every((w) => w.paused === undefined)
    );
  }

  private retryAfterInForce(now: number): boolean {
    return this.provider.calls.some((c) => {
      if (c.retryAfter === null) return false;
      const seconds = /^\d+$/.test(c.retryAfter)
        ? Number(c.retryAfter)
        : (Date.parse(c.retryAfter) - c.at) / 1000;
      return !Number.isFinite(seconds) || c.at + seconds * 1000 > now - 2_000;
    });
  }

  private async importStep(worker: Worker, refreshToken: 'new' | 'none'): Promise<void> {
    if (!this.exists) return;
    const before = await this.snapshot();
    const result = await this.importGrant(worker, refreshToken, false);
    if (!result.ok || refreshToken !== 'none' || before === null || before.refreshToken === null) return;
    const family = this.provider.familyOf(before.refreshToken);
    const good = family !== undefined && family.revoked === null && family.current === before.refreshToken;
    const after = await this.snapshot();
    if (good && after !== null && after.refreshToken !== before.refreshToken) {
      this.violate(
        'refresh_token_dropped',
        'an import without refresh_token replaced a good stored refresh token',
      );
    }
  }

  private async recreate(worker: Worker): Promise<void> {
    if (!this.exists) return;
    const deleted = await this.call(worker, 'deleteConnection', {});
    if (!deleted.ok) return;
    this.exists = false;
    this.grant = null;
    this.writes.push({
      seq: this.writeSeq++,
      kind: 'delete',
      connection: null,
      lost: false,
      grantless: false,
    });
    await this.importGrant(worker, 'new', true);
  }

  private async batchesStep(poisonIn: 'first' | 'second', good: number): Promise<void> {
    if (this.shared.batches === undefined) return;
    const problems = await this.shared.batches(poisonIn, good, this.key.integrationId);
    for (const problem of problems) this.violate('batch_failures_lost', problem);
  }

  /** Reads the state the way an operator would: the plain client, no faults, a fresh keyring. */
  private readonly audit: { readonly store: DynamoConnectionStore; readonly keyring: Keyring };

  // ---- the end of a schedule ------------------------------------------------------------------

  private async quiesce(): Promise<void> {
    this.provider.clearFaults();
    this.publisher.failNext = 0;
    this.publisher.loseNext = 0;
    for (const worker of this.workers) {
      worker.plan.clear();
      worker.keyService.failGenerate = 0;
      worker.keyService.failUnwrap = 0;
      worker.arm = undefined;
    }
    for (const worker of this.workers) if (worker.paused !== undefined) await this.release(worker, 'resume');
    // Outboxes left by crashes are republished by the scheduler's sweep.
    const current = await this.audit.store.get(this.key).catch(() => null);
    const { logger } = (this.workers[0] as Worker).core.deps;
    if (current !== null)
      await publishOutbox({ store: this.audit.store, publisher: this.publisher, logger }, current);
  }

  private async checkEnd(): Promise<void> {
    const state: EndState = {
      provider: this.provider,
      grant: this.grant,
      now: this.sim.t,
      writes: this.writes,
      published: this.publisher.events,
      logs: this.captured.join(''),
      apiBodies: this.apiBodies,
      queueMessages: this.queueMessages,
      clientSecrets: [GOOD_SECRET, BAD_SECRET],
    };
    this.oracle.checkReuse(state);
    let final: StoredConnection | null = null;
    try {
      final = await this.audit.store.get(this.key);
    } catch (error) {
      this.violate('unreadable_item', `the connection cannot be read: ${errorName(error)}`);
      return;
    }
    if (final !== null) {
      try {
        const { refresh_token } = await decryptSecrets(this.audit.keyring, final);
        this.oracle.checkFinal(state, final, refresh_token);
      } catch (error) {
        this.violate('unreadable_item', `stored tokens do not decrypt: ${errorName(error)}`);
      }
    }
    this.oracle.checkTransitions(state);
    this.oracle.checkSecrets(state);
  }
}

function zodPaths(error: unknown): string {
  const issues = (error as { issues?: Array<{ path: unknown[]; message: string }> }).issues;
  return issues === undefined ? '' : issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
}

function causeNames(error: unknown, depth = 0): string[] {
  if (depth > 6 || typeof error !== 'object' || error === null) return [];
  const name = error instanceof Error ? error.name : '';
  return [name, ...causeNames((error as { cause?: unknown }).cause, depth + 1)];
}

function isStaleFence(error: unknown): boolean {
  return (
    causeNames(error).some((n) => n === 'StaleFenceError') ||
    (error as { code?: string })?.code === 'stale_fence'
  );
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function safeMessage(error: unknown): string {
  return error instanceof Error
    ? error.message.replace(/(rt|at)_[0-9a-f]+_\d+_[0-9a-f]+/g, '<token>').slice(0, 200)
    : '';
}
