import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { stackPropsFromContext } from '../../infra/context';
import { cdkJsonContext, testApp } from './support';

const propsFor = (context: Record<string, unknown>) => stackPropsFromContext(testApp({ context }).node);

describe('deploy context (cdk.json / cdk deploy -c)', () => {
  it('deploys one stack named OAuthRefresher with the construct defaults when nothing is set', () => {
    const { stackName, props } = propsFor({});
    expect(stackName).toBe('OAuthRefresher');
    expect(props.service).toEqual({
      store: {},
      refresh: {},
      webhooks: {},
      api: {},
      monitoring: {},
    });
  });

  it('passes the webhook URL, alarm e-mail, schedule rate and log retention to the service', () => {
    const { props } = propsFor({
      webhookUrl: 'https://app.example/hooks',
      alarmEmail: 'ops@example.com',
      scheduleRateMinutes: '5',
      logRetentionDays: 90,
      retainData: 'false',
      deletionProtection: false,
      logLevel: 'debug',
    });
    expect(props.service?.webhooks?.webhookUrl).toBe('https://app.example/hooks');
    expect(props.service?.monitoring?.alarmEmail).toBe('ops@example.com');
    expect(props.service?.refresh?.scheduleRate?.toMinutes()).toBe(Duration.minutes(5).toMinutes());
    expect(props.service?.logRetention).toBe(RetentionDays.THREE_MONTHS);
    expect(props.service?.store).toEqual({ deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY });
    expect(props.service?.logLevel).toBe('DEBUG');
  });

  it('rejects values of the wrong kind, naming each', () => {
    const bad = () =>
      propsFor({ scheduleRateMinutes: 'often', logRetentionDays: 31, deletionProtection: 'yes' });
    expect(bad).toThrow(/scheduleRateMinutes: expected an integer/);
    expect(bad).toThrow(/logRetentionDays: 31 is not a CloudWatch Logs retention/);
    expect(bad).toThrow(/deletionProtection: expected true or false/);
    expect(() => propsFor({ logLevel: 'loud' })).toThrow(/logLevel/);
  });

  it('keeps only feature flags in cdk.json, so a checkout deploys with the documented defaults', () => {
    expect(Object.keys(cdkJsonContext()).every((key) => key.startsWith('@aws-cdk'))).toBe(true);
  });
});
