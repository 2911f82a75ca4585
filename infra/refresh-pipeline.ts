import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DUE_INDEX, OUTBOX_INDEX, SCAN_CLAIMS_PK_PREFIX } from '../shared/adapters/aws/dynamodb/table';
import { SCAN_CLAIM_MS } from '../shared/pipeline/scan';
import { invocationMsFor, leaseMsFor } from '../shared/refresh/options';
import { type EnvironmentValues, functionEnvironment } from './environment';
import { acknowledge } from './nag';
import { grantEnvelopeKey, grantPartitionAccess, grantSend, grantTableAccess } from './permissions';
import {
  checkConcurrency,
  consumeQueue,
  MIN_MAX_RECEIVE_COUNT,
  VISIBILITY_TIMEOUT_FACTOR,
  WorkQueue,
} from './queues';
import { ServiceFunction } from './service-function';

/**
 * How long a scan's claim on an enqueued connection holds (`SCAN_CLAIM_MS`, shared with the scheduler).
 * A refresh task must finish or come back within it, or the next scan enqueues the connection again.
 */
export const SCAN_CLAIM = Duration.millis(SCAN_CLAIM_MS);

/** Slowest scan rate: the default refresh margin (shared/policy) is 15 minutes before expiry. */
export const MAX_SCHEDULE_RATE = Duration.minutes(15);

export interface RefreshPipelineProps {
  readonly table: ITable;
  /** The token envelope key: the refresher unwraps and wraps tokens with it. */
  readonly envelopeKey: IKey;
  /** Where state-transition events go. */
  readonly webhookQueue: IQueue;
  /** Configuration values every function shares (see `SHARED_ENVIRONMENT`). */
  readonly environment: EnvironmentValues;
  /** How often the scheduler scans the due index (whole minutes). @default Duration.minutes(1) */
  readonly scheduleRate?: Duration;
  /**
   * EventBridge Scheduler may start a tick anywhere in this window (spreads load); at most the rate.
   * @default Duration.minutes(1)
   */
  readonly flexibleWindow?: Duration;
  /** Scheduler retries of a failed Lambda invoke (0–185) before the tick goes to the DLQ. @default 2 */
  readonly scheduleRetryAttempts?: number;
  /** @default Duration.seconds(60) */
  readonly schedulerTimeout?: Duration;
  /** Connections one scan enqueues at most. @default 10000 */
  readonly scanMaxPerRun?: number;
  /**
   * At least one refresh lease (shared/refresh/options.ts `leaseMsFor`), at most a sixth of the
   * 10-minute claim (the queue's visibility is 6 × this).
   * @default a lease and one more refresh's work (`invocationMsFor`), at most a sixth of the claim: 60 s with the default provider timeout
   */
  readonly refresherTimeout?: Duration;
  /** Concurrent refresher invocations the queue mapping allows (2–1000). @default 10 */
  readonly maxConcurrency?: number;
  /**
   * Concurrency reserved for the refresher, at least `maxConcurrency`: the API or other workloads
   * of the account can then never take the refresher's capacity (and it never takes theirs).
   * @default - none (the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** How long the mapping gathers records before it invokes. @default Duration.seconds(5) */
  readonly batchWindow?: Duration;
  /** Records of one batch refreshed at once (REFRESH_CONCURRENCY). @default 10 */
  readonly refreshConcurrency?: number;
  /** Refreshes of one integration at once per invocation (INTEGRATION_CONCURRENCY). @default 4 */
  readonly integrationConcurrency?: number;
  /** Timeout of one provider token call (PROVIDER_TIMEOUT_MS). @default Duration.seconds(10) */
  readonly providerTimeout?: Duration;
  /** Receives of a refresh task before it goes to the DLQ (at least 5). @default 5 */
  readonly maxReceiveCount?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * EventBridge Scheduler (rate, flexible window, retries, DLQ) → scheduler function (scans the due
 * and outbox indexes, claims, enqueues ids) → refresh queue + DLQ → refresher function (batches,
 * partial failures, bounded concurrency). The scheduler has no KMS access at all.
 */
export class RefreshPipeline extends Construct {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** Ticks EventBridge Scheduler could not deliver, and scheduler invocations that failed. */
  readonly scheduleDeadLetterQueue: IQueue;
  readonly scheduler: ServiceFunction;
  readonly refresher: ServiceFunction;
  readonly schedule: Schedule;
  readonly scheduleRate: Duration;

  constructor(scope: Construct, id: string, props: RefreshPipelineProps) {
    super(scope, id);
    const rate = props.scheduleRate ?? Duration.minutes(1);
    const window = props.flexibleWindow ?? Duration.minutes(1);
    const providerTimeout = props.providerTimeout ?? Duration.seconds(10);
    const refresherTimeout = props.refresherTimeout ?? defaultRefresherTimeout(providerTimeout);
    const maxConcurrency = props.maxConcurrency ?? 10;
    const retryAttempts = props.scheduleRetryAttempts ?? 2;
    this.validate({ rate, window, refresherTimeout, providerTimeout, retryAttempts });
    checkConcurrency(this, maxConcurrency);
    const reserved = props.reservedConcurrency;
    if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < maxConcurrency)) {
      // A mapping allowed more invocations than the function may run gets throttled invocations.
      throw new Error(
        `${this.node.path}: reservedConcurrency must be an integer ≥ maxConcurrency (${maxConcurrency}), got ${reserved}`,
      );
    }
    this.scheduleRate = rate;
    const logRetention = props.logRetention === undefined ? {} : { logRetention: props.logRetention };

    const work = new WorkQueue(this, 'Refresh', {
      consumerTimeout: refresherTimeout,
      maxReceiveCount: props.maxReceiveCount ?? MIN_MAX_RECEIVE_COUNT,
      // A task is an id; after the claim runs out the next scan finds the connection anyway.
      retention: Duration.days(1),
      dlqRetention: Duration.days(14),
    });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;
    this.scheduleDeadLetterQueue = new Queue(this, 'ScheduleDeadLetterQueue', {
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const dlqReason =
      "A dead-letter queue itself (of the schedule target and of the scheduler's asynchronous " +
      'invocations, which do not use a redrive policy): alarmed on depth, nothing behind it.';
    acknowledge(this.scheduleDeadLetterQueue, 'AwsSolutions', 'AwsSolutions-SQS3', dlqReason);
    acknowledge(this.scheduleDeadLetterQueue, 'Serverless', 'Serverless-SQSRedrivePolicy', dlqReason);

    // A tick older than the rate is worthless: the next one scans anyway.
    const tickAge = Duration.seconds(Math.max(60, rate.toSeconds()));
    this.scheduler = new ServiceFunction(this, 'Scheduler', {
      name: 'scheduler',
      description: 'Scans the due index and enqueues refresh tasks (EventBridge Scheduler target)',
      timeout: props.schedulerTimeout ?? Duration.seconds(60),
      ...logRetention,
      environment: functionEnvironment('scheduler', {
        ...props.environment,
        scanMaxPerRun: props.scanMaxPerRun ?? 10_000,
      }),
      // Scheduler invokes asynchronously; a failed scan is not retried (the next tick scans again)
      // but recorded in the schedule DLQ, which is alarmed.
      retryAttempts: 0,
      maxEventAge: tickAge,
      onFailure: new SqsDestination(this.scheduleDeadLetterQueue),
    });
    grantTableAccess(
      this.scheduler,
      props.table,
      ['GetItem', 'UpdateItem'],
      [DUE_INDEX.name, OUTBOX_INDEX.name],
    );
    // Scan claims (shared/adapters/aws/dynamodb/due-index.ts) live in their own partitions, `SCAN#<shard>`.
    grantPartitionAccess(this.scheduler, props.table, ['PutItem', 'Query'], [`${SCAN_CLAIMS_PK_PREFIX}*`]);
    grantSend(this.scheduler, this.queue);
    grantSend(this.scheduler, props.webhookQueue);

    // Our own role (not the stack-wide one aws-scheduler-targets would create) so that its one
    // acknowledged wildcard stays inside this construct.
    const scheduleRole = new Role(this, 'ScheduleRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'EventBridge Scheduler: invoke the scheduler function, dead-letter undelivered ticks',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Scan for connections due for a token refresh',
      schedule: ScheduleExpression.rate(rate),
      timeWindow: TimeWindow.flexible(window),
      target: new LambdaInvoke(this.scheduler, {
        role: scheduleRole,
        retryAttempts,
        maxEventAge: tickAge,
        deadLetterQueue: this.scheduleDeadLetterQueue,
      }),
    });

    acknowledge(
      scheduleRole,
      'AwsSolutions',
      `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.scheduler.node.defaultChild as CfnFunction)}.Arn>:*]`,
      'aws-scheduler-targets grants lambda:InvokeFunction on the scheduler function and its ' +
        'versions/aliases (`:*`): one function, nothing else.',
    );
    acknowledge(
      this.scheduler,
      'Serverless',
      'Serverless-LambdaDLQ',
      'Its asynchronous invocations (from EventBridge Scheduler) have an on-failure destination, ' +
        'the schedule DLQ; AWS recommends destinations over a function DLQ.',
    );

    this.refresher = new ServiceFunction(this, 'Refresher', {
      name: 'refresher',
      description: 'Refreshes the tokens of queued connections (SQS batches, partial failures)',
      timeout: refresherTimeout,
      ...logRetention,
      ...(reserved === undefined ? {} : { reservedConcurrency: reserved }),
      environment: functionEnvironment('refresher', {
        ...props.environment,
        refreshConcurrency: props.refreshConcurrency ?? 10,
        integrationConcurrency: props.integrationConcurrency ?? 4,
        providerTimeoutMs: providerTimeout.toMilliseconds(),
      }),
    });
    grantTableAccess(this.refresher, props.table, ['GetItem', 'UpdateItem']);
    grantEnvelopeKey(this.refresher, props.envelopeKey);
    grantSend(this.refresher, props.webhookQueue);
    consumeQueue(this.refresher, this.queue, {
      batchSize: props.batchSize ?? 10,
      batchWindow: props.batchWindow ?? Duration.seconds(5),
      maxConcurrency,
      redriveNote: "failed records are redriven by the refresh queue's redrive policy to its DLQ",
    });
  }

  private validate(p: {
    rate: Duration;
    window: Duration;
    refresherTimeout: Duration;
    providerTimeout: Duration;
    retryAttempts: number;
  }): void {
    const fail = (message: string) => {
      throw new Error(`${this.node.path}: ${message}`);
    };
    const rate = p.rate.toSeconds();
    if (rate < 60 || rate % 60 !== 0 || rate > MAX_SCHEDULE_RATE.toSeconds()) {
      // Tokens are refreshed a margin (15 min by default) before expiry; slower scans miss it.
      fail(`scheduleRate must be whole minutes from 1 to 15 (got ${rate} s)`);
    }
    const window = p.window.toSeconds();
    if (window < 60 || window > rate) fail('flexibleWindow must be at least 1 minute and at most the rate');
    if (p.refresherTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR > SCAN_CLAIM.toSeconds()) {
      fail(
        `refresherTimeout × ${VISIBILITY_TIMEOUT_FACTOR} must fit in the ${SCAN_CLAIM.toMinutes()}-minute scan claim`,
      );
    }
    // The refresh refuses to start without time for its work; the lease's margin covers the steps
    // before the provider call (lease, integration read, decrypt).
    const needed = wholeSeconds(leaseMsFor(p.providerTimeout.toMilliseconds())).toSeconds();
    if (p.refresherTimeout.toSeconds() < needed) {
      fail(
        `refresherTimeout must leave room for two provider calls and the commit within one lease (≥ ${needed} s)`,
      );
    }
    if (!Number.isInteger(p.retryAttempts) || p.retryAttempts < 0 || p.retryAttempts > 185) {
      fail('scheduleRetryAttempts must be an integer from 0 to 185');
    }
  }
}

/**
 * The refresher's timeout when none is given: a lease and one more refresh's work, so a record that
 * waits for its integration's slot still has time for its own refresh; never longer than the scan
 * claim allows (its six-fold visibility must fit in the claim).
 */
function defaultRefresherTimeout(providerTimeout: Duration): Duration {
  const longest = Math.floor(SCAN_CLAIM.toSeconds() / VISIBILITY_TIMEOUT_FACTOR);
  const wanted = wholeSeconds(invocationMsFor(providerTimeout.toMilliseconds())).toSeconds();
  return Duration.seconds(Math.min(longest, wanted));
}

/** Lambda timeouts are whole seconds: rounded up. */
function wholeSeconds(ms: number): Duration {
  return Duration.seconds(Math.ceil(ms / 1_000));
}
