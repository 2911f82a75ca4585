import type { Duration } from 'aws-cdk-lib';
import { type IMetric, MathExpression, Metric } from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The EMF metrics the functions emit (shared/adapters/powertools/metrics.ts, Powertools Metrics). Powertools adds the
 * `service` dimension (POWERTOOLS_SERVICE_NAME) to every metric, and metrics emitted with extra
 * dimensions (provider, code, reason) exist only under that exact dimension set. Metrics with
 * extra dimensions are therefore read with Metrics Insights queries (`SELECT SUM(...) FROM
 * SCHEMA(...)`), which CloudWatch alarms accept (SEARCH expressions they do not).
 */
export const EMF_METRICS = {
  /** refresher: {service, provider} */
  refreshSucceeded: { name: 'RefreshSucceeded', dimensions: ['provider'] },
  /** refresher: {service, provider, code} */
  refreshFailed: { name: 'RefreshFailed', dimensions: ['code', 'provider'] },
  /** refresher: {service}, a connection moved to needs_reauth */
  reauthRequired: { name: 'ReauthRequired', dimensions: [] },
  /** refresher: {service, code}, DynamoDB/KMS/SQS trouble (the task is retried) */
  refreshInfrastructureError: { name: 'RefreshInfrastructureError', dimensions: ['code'] },
  refreshDurationMs: { name: 'RefreshDurationMs', dimensions: [] },
  refreshLagMs: { name: 'RefreshLagMs', dimensions: [] },
  /** scheduler: {service} */
  scanDue: { name: 'ScanDue', dimensions: [] },
  scanEnqueued: { name: 'ScanEnqueued', dimensions: [] },
  scanDurationMs: { name: 'ScanDurationMs', dimensions: [] },
  scanTruncated: { name: 'ScanTruncated', dimensions: [] },
  scanEnqueueFailed: { name: 'ScanEnqueueFailed', dimensions: [] },
  /** scheduler: due connections skipped because an earlier scan's claim holds (tasks still queued) */
  scanAlreadyClaimed: { name: 'ScanAlreadyClaimed', dimensions: [] },
  /** scheduler: claims not recorded (the next scan may enqueue those tasks again; harmless) */
  scanClaimFailed: { name: 'ScanClaimFailed', dimensions: [] },
  /** webhook sender */
  webhookDelivered: { name: 'WebhookDelivered', dimensions: [] },
  webhookFailed: { name: 'WebhookFailed', dimensions: ['reason'] },
  webhookDropped: { name: 'WebhookDropped', dimensions: ['reason'] },
  webhookDeliveryMs: { name: 'WebhookDeliveryMs', dimensions: [] },
} as const;

export type EmfMetric = (typeof EMF_METRICS)[keyof typeof EMF_METRICS];

/** Builds CloudWatch metrics of one deployment (its namespace and service name). */
export class ServiceMetrics {
  constructor(
    readonly namespace: string,
    readonly serviceName: string,
  ) {
    if (!/^[A-Za-z0-9_.\-/#:]+$/.test(namespace) || !/^[A-Za-z0-9_.-]+$/.test(serviceName)) {
      // They are embedded in Metrics Insights queries; keep them to characters needing no quoting.
      throw new Error('metricsNamespace and serviceName must be plain identifiers');
    }
  }

  /** A metric emitted with the `service` dimension only. */
  metric(metric: EmfMetric, statistic: string, period: Duration, label?: string): Metric {
    if (metric.dimensions.length > 0) throw new Error(`${metric.name} has dimensions: use sum()`);
    return new Metric({
      namespace: this.namespace,
      metricName: metric.name,
      dimensionsMap: { service: this.serviceName },
      statistic,
      period,
      label: label ?? metric.name,
    });
  }

  /**
   * The sum over all values of the metric's extra dimensions (one time series, usable in alarms),
   * optionally filtered (`code = 'client_misconfigured'`) or grouped for graphs (`groupBy`).
   */
  sum(
    metric: EmfMetric,
    period: Duration,
    options: { where?: string; groupBy?: string; label?: string } = {},
  ): IMetric {
    const dimensions = [...metric.dimensions, 'service'].sort();
    const where = [
      `service = '${this.serviceName}'`,
      ...(options.where === undefined ? [] : [options.where]),
    ];
    const expression =
      `SELECT SUM(${metric.name}) FROM SCHEMA("${this.namespace}", ${dimensions.join(', ')})` +
      ` WHERE ${where.join(' AND ')}` +
      (options.groupBy === undefined ? '' : ` GROUP BY ${options.groupBy}`);
    return new MathExpression({
      expression,
      usingMetrics: {},
      period,
      label: options.label ?? metric.name,
    });
  }
}
