import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  WEBHOOK_DLQ_RETENTION_SECONDS,
  WEBHOOK_MAX_RECEIVE_COUNT,
  WEBHOOK_QUEUE_RETENTION_SECONDS,
} from '../shared/webhooks/retry';
import { type EnvironmentValues, functionEnvironment } from './environment';
import { acknowledge } from './nag';
import { grantPartitionAccess, grantTableAccess } from './permissions';
import { checkConcurrency, consumeQueue, WorkQueue } from './queues';
import { ServiceFunction } from './service-function';

export interface WebhookDeliveryProps {
  /** Holds the integrations, whose `webhook_url` overrides the default destination. */
  readonly table: ITable;
  /** Configuration values every function shares (see `SHARED_ENVIRONMENT`). */
  readonly environment: EnvironmentValues;
  /**
   * Where events go when their integration sets no `webhook_url` (http or https).
   * @default - none: events of integrations without `webhook_url` are dropped (metric WebhookDropped)
   */
  readonly webhookUrl?: string;
  /**
   * The Standard Webhooks signing secret: `whsec_<base64>` or the bare base64 part, 24–64 bytes.
   * @default - a new secret of 44 generated alphanumeric characters (33 bytes of key)
   */
  readonly webhookSecret?: ISecret;
  /**
   * The complete ARN of an existing signing secret to use (a retained secret after a redeploy,
   * so receivers keep their secret). Ignored when `webhookSecret` is given.
   * @default - a generated secret
   */
  readonly webhookSecretArn?: string | undefined;
  /**
   * What happens to the generated secret when it leaves the stack. The service passes the token
   * store's policy: receivers keep verifying with the same secret after a redeploy with retained data.
   * @default RemovalPolicy.RETAIN
   */
  readonly secretRemovalPolicy?: RemovalPolicy;
  /** Concurrency reserved for the sender. @default - none */
  readonly reservedConcurrency?: number;
  /** Concurrent sender invocations the queue mapping allows (2–1000). @default 5 */
  readonly maxConcurrency?: number;
  /** @default 10 */
  readonly batchSize?: number;
  /** How long the mapping gathers records before it invokes. @default Duration.seconds(1) */
  readonly batchWindow?: Duration;
  /** Function timeout; a delivery attempt takes at most 15 s, records run concurrently. @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * Webhook queue (redelivery schedule of shared/webhooks/retry.ts: 24 receives over ≈ 34 h, then
 * the DLQ) and the sender function, which signs with the secret from Secrets Manager (Powertools
 * Parameters, current and previous version: shared/adapters/aws/webhook-secret.ts) and only
 * reads integrations (no KMS: it never sees client secrets or tokens).
 */
export class WebhookDelivery extends Construct {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly sender: ServiceFunction;
  readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const maxConcurrency = props.maxConcurrency ?? 5;
    checkConcurrency(this, maxConcurrency);
    if (props.webhookUrl !== undefined && !Token.isUnresolved(props.webhookUrl)) {
      checkWebhookUrl(this, props.webhookUrl);
    }
    const timeout = props.timeout ?? Duration.seconds(60);

    const work = new WorkQueue(this, 'Webhooks', {
      consumerTimeout: timeout,
      maxReceiveCount: WEBHOOK_MAX_RECEIVE_COUNT,
      retention: Duration.seconds(WEBHOOK_QUEUE_RETENTION_SECONDS),
      dlqRetention: Duration.seconds(WEBHOOK_DLQ_RETENTION_SECONDS),
    });
    this.queue = work.queue;
    this.deadLetterQueue = work.deadLetterQueue;

    if (props.webhookSecret === undefined && props.webhookSecretArn !== undefined) {
      this.secret = Secret.fromSecretCompleteArn(this, 'AdoptedSigningSecret', props.webhookSecretArn);
    } else if (props.webhookSecret === undefined) {
      const secret = new Secret(this, 'SigningSecret', {
        description: 'Standard Webhooks signing secret of the OAuth token refresh service (base64 key)',
        generateSecretString: { passwordLength: 44, excludePunctuation: true, includeSpace: false },
        removalPolicy: props.secretRemovalPolicy ?? RemovalPolicy.RETAIN,
      });
      acknowledge(
        secret,
        'AwsSolutions',
        'AwsSolutions-SMG4',
        'Rotating a webhook signing secret needs the receivers to accept the new one first, which ' +
          'a rotation Lambda cannot coordinate; rotate by hand as infra/DEPLOY.md describes (both ' +
          'secrets sign during the rotation window).',
      );
      // A Secret is an ISecret; the cast only bridges exactOptionalPropertyTypes (see TokenStore).
      this.secret = secret as unknown as ISecret;
    } else {
      this.secret = props.webhookSecret;
    }

    this.sender = new ServiceFunction(this, 'Sender', {
      name: 'webhook-sender',
      description: 'Delivers signed webhook events from the webhook queue',
      timeout,
      ...(props.logRetention === undefined ? {} : { logRetention: props.logRetention }),
      environment: functionEnvironment('webhook-sender', {
        ...props.environment,
        webhookSecretArn: this.secret.secretArn,
        webhookUrl: props.webhookUrl,
      }),
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrency: props.reservedConcurrency }),
    });
    grantTableAccess(this.sender, props.table, ['GetItem']);
    // api.md v1.1 history: each event's delivery outcome, written in the connections' history
    // partitions (`H#...`) only, never a connection or an integration.
    grantPartitionAccess(this.sender, props.table, ['UpdateItem'], ['H#*']);
    const tableKey = props.table.encryptionKey;
    if (tableKey !== undefined) {
      this.sender.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [tableKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(props.table).region}.amazonaws.com` },
          },
        }),
      );
    }
    this.secret.grantRead(this.sender);
    // The event source grants receive, delete and ChangeMessageVisibility (the redelivery schedule).
    consumeQueue(this.sender, this.queue, {
      batchSize: props.batchSize ?? 10,
      batchWindow: props.batchWindow ?? Duration.seconds(1),
      maxConcurrency,
      redriveNote:
        "events that fail 24 receives are redriven by the webhook queue's redrive policy to its DLQ",
    });
  }
}

/** Lambda's limits for an SQS mapping's maximum concurrency. */
function checkWebhookUrl(scope: Construct, value: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new Error(`${scope.node.path}: webhookUrl must be an http(s) URL (got ${value})`);
  }
}
