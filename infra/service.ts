import { Duration, Lazy } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_DUE_SHARDS } from '../shared/policy/schedule';
import type { EnvironmentValues } from './environment';
import { Monitoring, type MonitoringProps } from './monitoring';
import { RefreshPipeline, type RefreshPipelineProps } from './refresh-pipeline';
import { TokenApi, type TokenApiProps } from './token-api';
import { TokenStore, type TokenStoreProps } from './token-store';
import { WebhookDelivery, type WebhookDeliveryProps } from './webhook-delivery';

export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type ServiceLogLevel = (typeof LOG_LEVELS)[number];

/** What the service wires itself; everything else of each concern's props can be set. */
type Wired = 'table' | 'envelopeKey' | 'webhookQueue' | 'environment' | 'logRetention' | 'providerTimeout';

export interface TokenRefreshServiceProps {
  /**
   * POWERTOOLS_SERVICE_NAME: the `service` dimension of every metric, which the alarms filter on.
   * Give each deployment in one account and region its own.
   * @default 'oauth-refresher'
   */
  readonly serviceName?: string;
  /** POWERTOOLS_METRICS_NAMESPACE. @default 'OAuthRefresher' */
  readonly metricsNamespace?: string;
  /** @default 'INFO' */
  readonly logLevel?: ServiceLogLevel;
  /** Partitions of the due index (DUE_SHARDS); never lower it on a deployed table. @default 16 */
  readonly dueShards?: number;
  /** Timeout of one provider token call, scheduled and on-demand. @default Duration.seconds(10) */
  readonly providerTimeout?: Duration;
  /** Retention of every function's and API's logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default - TokenStore defaults: deletion protection on, retained, new keys */
  readonly store?: TokenStoreProps;
  /** @default - RefreshPipeline defaults: a scan a minute, 10 concurrent refresher invocations */
  readonly refresh?: Omit<RefreshPipelineProps, Wired>;
  /** @default - WebhookDelivery defaults: a generated secret, no default URL */
  readonly webhooks?: Omit<WebhookDeliveryProps, Wired>;
  /** @default - TokenApi defaults: execute-api URL, no IAM API, no reserved concurrency */
  readonly api?: Omit<TokenApiProps, Wired>;
  /** @default - Monitoring defaults: a new topic, no e-mail */
  readonly monitoring?: Pick<
    MonitoringProps,
    | 'alarmEmail'
    | 'alarmTopic'
    | 'refreshFailureThreshold'
    | 'reauthRequiredThreshold'
    | 'webhookFailureThreshold'
    | 'dashboardName'
    | 'apiLatencyP99Threshold'
  >;
}

/**
 * The whole OAuth token refresh service, for `cdk deploy` (infra/app.ts) or inside another CDK
 * app: token store, refresh pipeline, webhook delivery, token API and monitoring.
 */
export class TokenRefreshService extends Construct {
  readonly store: TokenStore;
  readonly webhooks: WebhookDelivery;
  readonly refresh: RefreshPipeline;
  readonly api: TokenApi;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: TokenRefreshServiceProps = {}) {
    super(scope, id);
    const serviceName = props.serviceName ?? 'oauth-refresher';
    const metricsNamespace = props.metricsNamespace ?? 'OAuthRefresher';
    const logLevel = props.logLevel ?? 'INFO';
    const dueShards = props.dueShards ?? DEFAULT_DUE_SHARDS;
    if (!LOG_LEVELS.includes(logLevel))
      throw new Error(`${this.node.path}: logLevel must be one of ${LOG_LEVELS.join(', ')}`);
    if (!Number.isInteger(dueShards) || dueShards < 1 || dueShards > 1000) {
      throw new Error(`${this.node.path}: dueShards must be an integer from 1 to 1000`);
    }
    const providerTimeout = props.providerTimeout ?? Duration.seconds(10);
    const logRetention = props.logRetention === undefined ? {} : { logRetention: props.logRetention };

    this.store = new TokenStore(this, 'Store', props.store);
    const { table, envelopeKey } = this.store;
    // Every function's configuration names both queues; each queue exists once its construct
    // does, so the URLs resolve lazily (at synthesis) rather than forcing an order on the concerns.
    const environment: EnvironmentValues = {
      tableName: table.tableName,
      kmsKeyId: envelopeKey.keyArn,
      refreshQueueUrl: Lazy.string({ produce: () => this.refresh.queue.queueUrl }),
      webhookQueueUrl: Lazy.string({ produce: () => this.webhooks.queue.queueUrl }),
      dueShards,
      logLevel,
      serviceName,
      metricsNamespace,
    };

    this.webhooks = new WebhookDelivery(this, 'Webhooks', {
      // Receivers hold this secret: it lives and dies with the data unless the props say otherwise.
      secretRemovalPolicy: this.store.removalPolicy,
      ...props.webhooks,
      table,
      environment,
      ...logRetention,
    });
    this.refresh = new RefreshPipeline(this, 'Refresh', {
      ...props.refresh,
      table,
      envelopeKey,
      webhookQueue: this.webhooks.queue,
      environment,
      providerTimeout,
      ...logRetention,
    });
    this.api = new TokenApi(this, 'Api', {
      ...props.api,
      table,
      envelopeKey,
      webhookQueue: this.webhooks.queue,
      environment,
      providerTimeout,
      ...logRetention,
    });
    // Only the functions that wrap and unwrap tokens are named in the envelope key's policy.
    this.store.addEnvelopeKeyUser(this.refresh.refresher.serviceRole);
    this.store.addEnvelopeKeyUser(this.api.function.serviceRole);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      ...props.monitoring,
      table,
      functions: {
        scheduler: this.refresh.scheduler,
        refresher: this.refresh.refresher,
        'webhook-sender': this.webhooks.sender,
        api: this.api.function,
      },
      refreshQueue: this.refresh.queue,
      refreshDeadLetterQueue: this.refresh.deadLetterQueue,
      webhookQueue: this.webhooks.queue,
      webhookDeadLetterQueue: this.webhooks.deadLetterQueue,
      scheduleDeadLetterQueue: this.refresh.scheduleDeadLetterQueue,
      // An HttpApi is an IHttpApi; the cast only bridges exactOptionalPropertyTypes (see TokenStore).
      httpApi: this.api.httpApi as unknown as IHttpApi,
      scheduleRate: this.refresh.scheduleRate,
      metricsNamespace,
      serviceName,
    });
  }
}
