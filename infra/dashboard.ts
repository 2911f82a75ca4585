import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionName } from './functions';
import { EMF_METRICS, type ServiceMetrics } from './service-metrics';

export interface ServiceDashboardProps {
  readonly metrics: ServiceMetrics;
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
  readonly refreshQueue: IQueue;
  readonly webhookQueue: IQueue;
  readonly deadLetterQueues: ReadonlyArray<{ readonly label: string; readonly queue: IQueue }>;
  readonly alarms: readonly IAlarm[];
  /** @default - no API latency graph */
  readonly httpApi?: IHttpApi;
  /** @default - CloudFormation names it */
  readonly dashboardName?: string;
}

/**
 * One CloudWatch dashboard: alarm states, refresh volume, failures by code and by provider,
 * latencies (refresh, lag behind due time, scan, webhook delivery, functions, API), queue ages and
 * DLQ depths, webhook outcomes, function health.
 */
export class ServiceDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const m = props.metrics;
    const five = Duration.minutes(5);
    const graph = (title: string, left: IMetric[], right: IMetric[] = [], width = 12) =>
      new GraphWidget({ title, left, right, width, height: 6 });
    const fns = Object.entries(props.functions) as Array<[FunctionName, IFunction]>;

    this.dashboard = new Dashboard(this, 'Dashboard', {
      ...(props.dashboardName === undefined ? {} : { dashboardName: props.dashboardName }),
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '# OAuth token refresh service\nWhat each alarm means and what to do: infra/DEPLOY.md, section "Alarms".',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }),
    );
    this.dashboard.addWidgets(
      graph(
        'Refresh volume',
        [
          m.sum(EMF_METRICS.refreshSucceeded, five, { label: 'refreshed' }),
          m.sum(EMF_METRICS.refreshFailed, five, { label: 'failed' }),
          m.metric(EMF_METRICS.scanEnqueued, Stats.SUM, five, 'enqueued by scans'),
        ],
        [m.metric(EMF_METRICS.reauthRequired, Stats.SUM, five, 'needs_reauth')],
      ),
      graph('Scans', [
        m.metric(EMF_METRICS.scanDue, Stats.SUM, five, 'due'),
        m.metric(EMF_METRICS.scanTruncated, Stats.SUM, five, 'truncated'),
        m.metric(EMF_METRICS.scanEnqueueFailed, Stats.SUM, five, 'enqueue failed'),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Refresh failures by code', [
        m.sum(EMF_METRICS.refreshFailed, five, { groupBy: 'code', label: '' }),
      ]),
      graph('Refresh failures by provider', [
        m.sum(EMF_METRICS.refreshFailed, five, { groupBy: 'provider', label: '' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Refresh latency (ms)',
        [
          m.metric(EMF_METRICS.refreshDurationMs, Stats.p(50), five, 'refresh p50'),
          m.metric(EMF_METRICS.refreshDurationMs, Stats.p(99), five, 'refresh p99'),
        ],
        [m.metric(EMF_METRICS.refreshLagMs, Stats.p(99), five, 'lag behind due time p99')],
      ),
      graph('Scan and webhook latency (ms)', [
        m.metric(EMF_METRICS.scanDurationMs, Stats.MAXIMUM, five, 'scan max'),
        m.metric(EMF_METRICS.webhookDeliveryMs, Stats.p(99), five, 'webhook delivery p99'),
      ]),
    );
    this.dashboard.addWidgets(
      graph(
        'Function duration p99 (ms)',
        fns.map(([name, fn]) => fn.metricDuration({ period: five, statistic: Stats.p(99), label: name })),
      ),
      graph(
        'API latency (ms)',
        props.httpApi === undefined
          ? []
          : [
              props.httpApi.metricLatency({ period: five, statistic: Stats.p(50), label: 'p50' }),
              props.httpApi.metricLatency({ period: five, statistic: Stats.p(99), label: 'p99' }),
            ],
        props.httpApi === undefined
          ? []
          : [props.httpApi.metricServerError({ period: five, statistic: Stats.SUM, label: '5xx' })],
      ),
    );
    this.dashboard.addWidgets(
      graph('Queue age of oldest message (s)', [
        props.refreshQueue.metricApproximateAgeOfOldestMessage({ period: five, label: 'refresh queue' }),
        props.webhookQueue.metricApproximateAgeOfOldestMessage({ period: five, label: 'webhook queue' }),
      ]),
      graph(
        'Dead-letter queues (messages)',
        props.deadLetterQueues.map(({ label, queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: five, statistic: Stats.MAXIMUM, label }),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Webhooks',
        [
          m.metric(EMF_METRICS.webhookDelivered, Stats.SUM, five, 'delivered'),
          m.sum(EMF_METRICS.webhookDropped, five, { label: 'dropped (no destination)' }),
        ],
        [m.sum(EMF_METRICS.webhookFailed, five, { groupBy: 'reason', label: '' })],
      ),
      graph(
        'Function errors and throttles',
        fns.map(([name, fn]) =>
          fn.metricErrors({ period: five, statistic: Stats.SUM, label: `${name} errors` }),
        ),
        fns.map(([name, fn]) =>
          fn.metricThrottles({ period: five, statistic: Stats.SUM, label: `${name} throttles` }),
        ),
      ),
    );
  }
}
