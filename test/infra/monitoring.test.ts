import { Duration, type Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../infra/functions';
import { Monitoring, type MonitoringProps } from '../../infra/monitoring';
import { resourcesOf, template, testStack } from './support';

function monitoring(props: Partial<MonitoringProps> = {}): { stack: Stack; construct: Monitoring } {
  const stack = testStack();
  const queue = (name: string) =>
    Queue.fromQueueArn(stack, name, `arn:aws:sqs:us-east-1:123456789012:${name}`);
  const functions = Object.fromEntries(
    FUNCTION_NAMES.map((name) => [name, LambdaFunction.fromFunctionName(stack, `Fn-${name}`, name)]),
  ) as MonitoringProps['functions'];
  const construct = new Monitoring(stack, 'Monitoring', {
    functions,
    refreshQueue: queue('refresh'),
    refreshDeadLetterQueue: queue('refresh-dlq'),
    webhookQueue: queue('webhooks'),
    webhookDeadLetterQueue: queue('webhooks-dlq'),
    scheduleDeadLetterQueue: queue('schedule-dlq'),
    httpApi: new HttpApi(stack, 'Api') as unknown as NonNullable<MonitoringProps['httpApi']>,
    scheduleRate: Duration.minutes(1),
    metricsNamespace: 'OAuthRefresher',
    serviceName: 'oauth-refresher',
    ...props,
  });
  return { stack, construct };
}

type AlarmProps = Record<string, unknown> & { Metrics?: Array<Record<string, unknown>> };

describe('Monitoring', () => {
  const { stack } = monitoring({ alarmEmail: 'ops@example.com' });
  const t = template(stack);
  const alarms = Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm')).map(
    (a) => a.Properties as AlarmProps,
  );
  const insightsQueries = alarms.flatMap((a) => (a.Metrics ?? []).map((m) => String(m.Expression ?? '')));

  it('alarms on refresh failures of every provider and code with a Metrics Insights query', () => {
    expect(insightsQueries).toContain(
      `SELECT SUM(RefreshFailed) FROM SCHEMA("OAuthRefresher", code, provider, service) WHERE service = 'oauth-refresher'`,
    );
  });

  it('alarms on the first client_misconfigured failure', () => {
    expect(insightsQueries.some((q) => q.includes("code = 'client_misconfigured'"))).toBe(true);
  });

  /** The alarm on one metric of the service's namespace (labelled metrics render as `Metrics[]`). */
  const emfAlarm = (metricName: string) =>
    alarms.find((a) =>
      (a.Metrics ?? []).some(
        (m) =>
          (m.MetricStat as { Metric?: { MetricName?: string } } | undefined)?.Metric?.MetricName ===
          metricName,
      ),
    );

  it('alarms on connections moving to needs_reauth, with the service dimension Powertools adds', () => {
    const alarm = emfAlarm('ReauthRequired');
    expect(alarm?.Threshold).toBe(5);
    expect(alarm?.Metrics?.[0]?.MetricStat).toEqual({
      Metric: {
        Namespace: 'OAuthRefresher',
        MetricName: 'ReauthRequired',
        Dimensions: [{ Name: 'service', Value: 'oauth-refresher' }],
      },
      Period: 3600,
      Stat: 'Sum',
    });
  });

  it('alarms on refresh infrastructure errors, failed enqueues and truncated scans', () => {
    expect(insightsQueries.some((q) => q.includes('SUM(RefreshInfrastructureError)'))).toBe(true);
    expect(emfAlarm('ScanEnqueueFailed')?.Threshold).toBe(1);
    expect(emfAlarm('ScanTruncated')?.EvaluationPeriods).toBe(3);
  });

  it('alarms on webhook delivery failures', () => {
    expect(insightsQueries).toContain(
      `SELECT SUM(WebhookFailed) FROM SCHEMA("OAuthRefresher", reason, service) WHERE service = 'oauth-refresher'`,
    );
  });

  it('alarms when any of the three dead-letter queues holds a message', () => {
    for (const name of ['refresh-dlq', 'webhooks-dlq', 'schedule-dlq']) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: name }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('alarms on errors and throttles of every function', () => {
    for (const metric of ['Errors', 'Throttles']) {
      const matching = alarms.filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === metric);
      expect(matching).toHaveLength(FUNCTION_NAMES.length);
    }
  });

  it('alarms when the scheduler stops being invoked, treating silence as breaching', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Invocations',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
  });

  it('alarms when refresh tasks wait longer than the scan claim', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: 'refresh' }],
      Threshold: 600,
    });
  });

  it('sends every alarm and its recovery to the SNS topic', () => {
    const topic = Object.keys(resourcesOf(t, 'AWS::SNS::Topic'))[0];
    expect(alarms.length).toBeGreaterThanOrEqual(20);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic }]);
      expect(alarm.AlarmDescription).toEqual(expect.any(String));
    }
  });

  it('subscribes the alarm e-mail to a TLS-only topic', () => {
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('draws a dashboard with refresh volume, failures by code and by provider, latencies and queue ages', () => {
    const body = JSON.stringify(Object.values(resourcesOf(t, 'AWS::CloudWatch::Dashboard'))[0]?.Properties);
    for (const title of [
      'Refresh volume',
      'Refresh failures by code',
      'Refresh failures by provider',
      'Refresh latency (ms)',
      'Queue age of oldest message (s)',
      'Dead-letter queues (messages)',
    ]) {
      expect(body).toContain(title);
    }
    expect(body).toContain('GROUP BY code');
    expect(body).toContain('GROUP BY provider');
  });

  it('has no e-mail subscription unless asked for', () => {
    template(monitoring().stack).resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('rejects an alarm e-mail that is not an address, and thresholds below 1', () => {
    expect(() => monitoring({ alarmEmail: 'ops' })).toThrow(/alarmEmail/);
    expect(() => monitoring({ refreshFailureThreshold: 0 })).toThrow(/threshold/);
  });

  it('rejects a namespace or service name that cannot be embedded in a query', () => {
    expect(() => monitoring({ serviceName: "x' OR 1=1" })).toThrow(/plain identifiers/);
  });
});
