import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ServiceDashboard } from './dashboard';
import type { FunctionName } from './functions';
import { acknowledge } from './nag';
import { EMF_METRICS, ServiceMetrics } from './service-metrics';

export interface MonitoringProps {
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  readonly refreshQueue: IQueue;
  readonly refreshDeadLetterQueue: IQueue;
  readonly webhookQueue: IQueue;
  readonly webhookDeadLetterQueue: IQueue;
  /** Ticks EventBridge Scheduler could not deliver, and failed scheduler invocations. */
  readonly scheduleDeadLetterQueue: IQueue;
  /** For the 5xx alarm and the latency graph. @default - none */
  readonly httpApi?: IHttpApi;
  /** The schedule's rate: a scheduler silent for three rates is alarmed. */
  readonly scheduleRate: Duration;
  /** POWERTOOLS_METRICS_NAMESPACE of the functions. */
  readonly metricsNamespace: string;
  /** POWERTOOLS_SERVICE_NAME of the functions (the `service` dimension of their metrics). */
  readonly serviceName: string;
  /** @default - a new topic */
  readonly alarmTopic?: ITopic;
  /** Subscribed to the alarm topic (confirm the e-mail AWS sends). @default - no subscription */
  readonly alarmEmail?: string;
  /** Failed refreshes (all providers and codes) in 5 minutes that raise an alarm. @default 10 */
  readonly refreshFailureThreshold?: number;
  /** Connections moved to needs_reauth in an hour that raise an alarm. @default 5 */
  readonly reauthRequiredThreshold?: number;
  /** Failed webhook delivery attempts in 15 minutes that raise an alarm. @default 10 */
  readonly webhookFailureThreshold?: number;
  /** @default - CloudFormation names it */
  readonly dashboardName?: string;
  /** The service's table, for the throttling alarm. @default - no table alarm */
  readonly table?: ITable;
  /** The API's p99 latency above this for 15 minutes raises an alarm. @default Duration.seconds(5) */
  readonly apiLatencyP99Threshold?: Duration;
}

/**
 * Alarms (to an SNS topic, optional e-mail) and the dashboard. What to do when each alarm fires
 * is in infra/DEPLOY.md ("Alarms").
 */
export class Monitoring extends Construct {
  readonly topic: ITopic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: ServiceDashboard;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const thresholds = {
      refresh: props.refreshFailureThreshold ?? 10,
      reauth: props.reauthRequiredThreshold ?? 5,
      webhook: props.webhookFailureThreshold ?? 10,
    };
    for (const [name, value] of Object.entries(thresholds)) {
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`${this.node.path}: ${name} threshold must be ≥ 1`);
    }
    if (props.alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
      throw new Error(`${this.node.path}: alarmEmail is not an e-mail address`);
    }
    const metrics = new ServiceMetrics(props.metricsNamespace, props.serviceName);
    this.topic =
      props.alarmTopic ??
      new Topic(this, 'AlarmTopic', { displayName: 'OAuth refresher alarms', enforceSSL: true });
    if (props.alarmEmail !== undefined) {
      const subscription = this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      acknowledge(
        subscription,
        'Serverless',
        'Serverless-SNSRedrivePolicy',
        'The e-mail is a copy of alarm state that CloudWatch keeps (console, dashboard, ' +
          'DescribeAlarms); a lost e-mail loses no alarm, and a DLQ for it would need monitoring of its own.',
      );
    }
    this.action = new SnsAction(this.topic);
    const five = Duration.minutes(5);

    // Refresh outcomes (EMF from the refresher).
    this.alarm(
      'RefreshFailures',
      metrics.sum(EMF_METRICS.refreshFailed, five),
      thresholds.refresh,
      `${thresholds.refresh}+ refreshes failed in 5 minutes (any provider, any code)`,
    );
    this.alarm(
      'ClientMisconfigured',
      metrics.sum(EMF_METRICS.refreshFailed, five, { where: "code = 'client_misconfigured'" }),
      1,
      "A provider rejected an integration's client credentials (invalid_client / unauthorized_client)",
    );
    this.alarm(
      'ReauthRequired',
      metrics.metric(EMF_METRICS.reauthRequired, Stats.SUM, Duration.hours(1)),
      thresholds.reauth,
      `${thresholds.reauth}+ connections moved to needs_reauth in an hour`,
    );
    this.alarm(
      'RefreshInfrastructureErrors',
      metrics.sum(EMF_METRICS.refreshInfrastructureError, five),
      5,
      'Refreshes failed on DynamoDB, KMS or SQS (tasks are retried)',
    );

    // Scheduling.
    this.alarm(
      'ScanEnqueueFailed',
      metrics.metric(EMF_METRICS.scanEnqueueFailed, Stats.SUM, five),
      1,
      'SQS did not accept refresh tasks of due connections (each scan retries them)',
    );
    this.alarm(
      'ScanTruncated',
      metrics.metric(EMF_METRICS.scanTruncated, Stats.SUM, five),
      1,
      'Scans hit SCAN_MAX_PER_RUN or their time budget for 15 minutes: the due backlog grows',
      3,
    );
    const silence = Duration.minutes(Math.max(5, props.scheduleRate.toMinutes() * 3));
    this.alarm(
      'SchedulerSilent',
      props.functions.scheduler.metricInvocations({ period: silence, statistic: Stats.SUM }),
      1,
      `The scheduler function was not invoked for ${silence.toMinutes()} minutes (3 schedule periods, at least 5 min)`,
      1,
      { comparison: ComparisonOperator.LESS_THAN_THRESHOLD, missing: TreatMissingData.BREACHING },
    );
    this.alarm(
      'RefreshQueueAge',
      props.refreshQueue.metricApproximateAgeOfOldestMessage({ period: five, statistic: Stats.MAXIMUM }),
      Duration.minutes(10).toSeconds(),
      'Refresh tasks wait longer than the scan claim (10 min): refreshers are too few or failing',
      3,
    );

    // Dead-letter queues.
    const dlqs: Array<[string, IQueue, string]> = [
      ['RefreshDlq', props.refreshDeadLetterQueue, 'Refresh tasks failed 5 receives'],
      ['WebhookDlq', props.webhookDeadLetterQueue, 'Webhook events were given up after ≈ 34 h of retries'],
      ['ScheduleDlq', props.scheduleDeadLetterQueue, 'Scheduler ticks were not delivered or the scan failed'],
    ];
    for (const [id, queue, description] of dlqs) {
      // Depth: stays in ALARM while anything is left in the DLQ (a reminder to purge or redrive).
      this.alarm(
        id,
        queue.metricApproximateNumberOfMessagesVisible({ period: five, statistic: Stats.MAXIMUM }),
        1,
        `${description} (messages in the DLQ)`,
      );
      // Arrivals: fires again for every new dead letter, even while the depth alarm is in ALARM.
      // Messages moved by a redrive policy do not count in NumberOfMessagesSent, so a rise in depth
      // counts too; direct sends (the schedule DLQ's) show in NumberOfMessagesSent.
      const minute = Duration.minutes(1);
      this.alarm(
        `${id}Arrivals`,
        new MathExpression({
          expression: 'MAX([IF(DIFF(depth) > 0, DIFF(depth), 0), FILL(sent, 0)])',
          usingMetrics: {
            depth: queue.metricApproximateNumberOfMessagesVisible({
              period: minute,
              statistic: Stats.MAXIMUM,
            }),
            sent: queue.metricNumberOfMessagesSent({ period: minute, statistic: Stats.SUM }),
          },
          period: minute,
          label: `${id} arrivals`,
        }),
        1,
        `${description} (new messages arrived in the DLQ)`,
      );
    }

    // Webhooks.
    this.alarm(
      'WebhookFailures',
      metrics.sum(EMF_METRICS.webhookFailed, Duration.minutes(15)),
      thresholds.webhook,
      `${thresholds.webhook}+ webhook delivery attempts failed in 15 minutes`,
    );

    // Functions and API.
    for (const [name, fn] of Object.entries(props.functions)) {
      const id = name.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase());
      this.alarm(
        `${id}Errors`,
        fn.metricErrors({ period: five, statistic: Stats.SUM }),
        1,
        `The ${name} function failed (invocation errors, not per-record failures)`,
      );
      this.alarm(
        `${id}Throttles`,
        fn.metricThrottles({ period: five, statistic: Stats.SUM }),
        1,
        `The ${name} function was throttled (account or reserved concurrency)`,
      );
    }
    if (props.httpApi !== undefined) {
      this.alarm(
        'Api5xx',
        props.httpApi.metricServerError({ period: five, statistic: Stats.SUM }),
        5,
        'The HTTP API answered 5xx 5+ times in 5 minutes',
      );
      const p99 = props.apiLatencyP99Threshold ?? Duration.seconds(5);
      this.alarm(
        'ApiLatencyP99',
        props.httpApi.metricLatency({ period: five, statistic: Stats.p(99) }),
        p99.toMilliseconds(),
        `The HTTP API's p99 latency stayed above ${p99.toMilliseconds()} ms for 15 minutes`,
        3,
      );
    }
    if (props.table !== undefined) {
      const throttles = (metricName: string) =>
        new Metric({
          namespace: 'AWS/DynamoDB',
          metricName,
          dimensionsMap: { TableName: props.table?.tableName ?? '' },
          statistic: Stats.SUM,
          period: five,
        });
      this.alarm(
        'DynamoDbThrottles',
        new MathExpression({
          expression: 'FILL(r, 0) + FILL(w, 0)',
          usingMetrics: { r: throttles('ReadThrottleEvents'), w: throttles('WriteThrottleEvents') },
          period: five,
          label: 'DynamoDB throttle events',
        }),
        1,
        'DynamoDB throttled reads or writes of the table (capacity or a hot partition)',
      );
    }

    this.dashboard = new ServiceDashboard(this, 'Dashboard', {
      metrics,
      functions: props.functions,
      refreshQueue: props.refreshQueue,
      webhookQueue: props.webhookQueue,
      deadLetterQueues: dlqs.map(([id, queue]) => ({ label: id, queue })),
      alarms: this.alarms,
      ...(props.httpApi === undefined ? {} : { httpApi: props.httpApi }),
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
    });
  }

  private alarm(
    id: string,
    metric: IMetric,
    threshold: number,
    description: string,
    evaluationPeriods = 1,
    options: { comparison?: ComparisonOperator; missing?: TreatMissingData } = {},
  ): Alarm {
    const alarm = new Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      comparisonOperator: options.comparison ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: options.missing ?? TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}
