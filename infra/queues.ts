import { Duration, Token } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './nag';

/**
 * AWS guidance for SQS → Lambda: the visibility timeout is at least six times the function timeout
 * (a batch may be retried on a throttled invocation while the first is still running).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** Redrives below this many receives count transient throttling as poison (AWS: at least 5). */
export const MIN_MAX_RECEIVE_COUNT = 5;

/** SQS limits a queue's retention to 1 minute … 14 days. */
const MAX_RETENTION = Duration.days(14);

export interface WorkQueueProps {
  /** Timeout of the consuming function; the visibility timeout is six times it. */
  readonly consumerTimeout: Duration;
  /** Receives before a message moves to the DLQ. At least 5. */
  readonly maxReceiveCount: number;
  readonly retention: Duration;
  /** Must be longer than `retention`: a redriven message keeps its first enqueue time. */
  readonly dlqRetention: Duration;
}

/**
 * A work queue and its dead-letter queue, set up as AWS advises for a Lambda consumer: visibility
 * ≥ 6 × the function timeout, maxReceiveCount ≥ 5, a DLQ that retains longer than the source, both
 * encrypted (SQS-managed keys: messages hold ids and event payloads, never secrets) and reachable
 * over TLS only.
 */
export class WorkQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    const retention = props.retention.toSeconds();
    const dlqRetention = props.dlqRetention.toSeconds();
    if (!Token.isUnresolved(props.maxReceiveCount) && props.maxReceiveCount < MIN_MAX_RECEIVE_COUNT) {
      throw new Error(`${this.node.path}: maxReceiveCount must be at least ${MIN_MAX_RECEIVE_COUNT}`);
    }
    if (dlqRetention <= retention) {
      throw new Error(`${this.node.path}: the DLQ must retain messages longer than the queue`);
    }
    if (dlqRetention > MAX_RETENTION.toSeconds()) {
      throw new Error(`${this.node.path}: SQS retains messages for at most 14 days`);
    }
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      retentionPeriod: props.dlqRetention,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(
      this.deadLetterQueue,
      'Serverless',
      'Serverless-SQSRedrivePolicy',
      'This is the dead-letter queue: the end of the line, alarmed on depth; a DLQ of a DLQ adds nothing.',
    );
    this.queue = new Queue(this, 'Queue', {
      retentionPeriod: props.retention,
      visibilityTimeout: Duration.seconds(props.consumerTimeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}

/** Event-source maximum concurrency: Lambda accepts 2–1000. */
export function checkConcurrency(scope: Construct, value: number): void {
  if (!Number.isInteger(value) || value < 2 || value > 1000) {
    throw new Error(`${scope.node.path}: maxConcurrency must be an integer from 2 to 1000 (got ${value})`);
  }
}

/**
 * Subscribes a function to its work queue as AWS guidance has it: batches with partial failures
 * (ReportBatchItemFailures), a batching window and a per-mapping maximum concurrency. Failed
 * records are redriven by the queue's redrive policy, which is why the function needs neither a
 * DLQ nor an on-failure destination: both cdk-nag findings are acknowledged with `redriveNote`.
 */
export function consumeQueue(
  fn: IFunction & Construct,
  queue: IQueue,
  options: { batchSize: number; batchWindow: Duration; maxConcurrency: number; redriveNote: string },
): void {
  fn.addEventSource(
    new SqsEventSource(queue, {
      batchSize: options.batchSize,
      maxBatchingWindow: options.batchWindow,
      maxConcurrency: options.maxConcurrency,
      reportBatchItemFailures: true,
    }),
  );
  const reason =
    `Invoked only by its SQS event source mapping: ${options.redriveNote} (an SQS mapping has no ` +
    'on-failure destination, and a function DLQ only serves asynchronous invocations).';
  acknowledge(fn, 'Serverless', 'Serverless-LambdaDLQ', reason);
  acknowledge(fn, 'Serverless', 'Serverless-LambdaEventSourceMappingDestination', reason);
}
