import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { RefreshPipeline, type RefreshPipelineProps } from '../../infra/refresh-pipeline';
import { KMS_ENCRYPTION_CONTEXT } from '../../shared/adapters/aws/kms';
import {
  actionsOf,
  type Fixture,
  fixture,
  resource,
  resourcesOf,
  statementsOfFunction,
  template,
} from './support';

function pipeline(f: Fixture, props: Partial<RefreshPipelineProps> = {}): RefreshPipeline {
  return new RefreshPipeline(f.stack, 'Refresh', { ...f.wiring, ...props });
}

describe('RefreshPipeline', () => {
  const f = fixture();
  pipeline(f, { maxConcurrency: 25 });
  const t = template(f.stack);
  const refresher = resource(t, 'AWS::Lambda::Function', 'RefreshRefresher');
  const scheduler = resource(t, 'AWS::Lambda::Function', 'RefreshScheduler');
  const queue = resource(t, 'AWS::SQS::Queue', 'RefreshQueue').props;
  const dlq = resource(t, 'AWS::SQS::Queue', 'RefreshDeadLetterQueue').props;
  const envelopeKeyId = resource(t, 'AWS::KMS::Key', 'StoreEnvelopeKey').id;
  const usesEnvelopeKey = (s: Record<string, unknown>) => JSON.stringify(s.Resource).includes(envelopeKeyId);

  it('gives the refresh queue a visibility timeout of six times the refresher timeout', () => {
    expect(refresher.props.Timeout).toBe(60);
    expect(queue.VisibilityTimeout).toBe(6 * 60);
  });

  it('redrives a refresh task to its DLQ after 5 receives', () => {
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: {
        'Fn::GetAtt': [resource(t, 'AWS::SQS::Queue', 'RefreshDeadLetterQueue').id, 'Arn'],
      },
      maxReceiveCount: 5,
    });
  });

  it('keeps dead letters longer than the queue keeps tasks', () => {
    expect(dlq.MessageRetentionPeriod as number).toBeGreaterThan(queue.MessageRetentionPeriod as number);
  });

  it('encrypts its queues and refuses plain HTTP to them', () => {
    expect(queue.SqsManagedSseEnabled).toBe(true);
    expect(dlq.SqsManagedSseEnabled).toBe(true);
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('feeds the refresher in batches with partial failures, a batch window and the given maximum concurrency', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: refresher.id },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 25 },
    });
  });

  it('ticks at the rate in a flexible window, with retries and a dead-letter queue', () => {
    const scheduleDlq = resource(t, 'AWS::SQS::Queue', 'RefreshScheduleDeadLetterQueue').id;
    t.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1 },
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [scheduler.id, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [scheduleDlq, 'Arn'] } },
      }),
    });
  });

  it('does not retry a failed scan but records it in the schedule DLQ', () => {
    const scheduleDlq = resource(t, 'AWS::SQS::Queue', 'RefreshScheduleDeadLetterQueue').id;
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: scheduler.id },
      MaximumRetryAttempts: 0,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [scheduleDlq, 'Arn'] } } },
    });
  });

  it('gives the scheduler no use of the envelope key and no KMS call of its own', () => {
    const statements = statementsOfFunction(t, scheduler);
    expect(statements.filter(usesEnvelopeKey)).toEqual([]);
    // Its only KMS statement is the table key, usable through DynamoDB only.
    for (const s of statements.filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')))) {
      expect(s.Condition).toEqual({ StringEquals: { 'kms:ViaService': expect.anything() } });
    }
  });

  it('lets the scheduler query exactly the due and outbox indexes', () => {
    const queries = statementsOfFunction(t, scheduler).filter((s) => actionsOf(s).includes('dynamodb:Query'));
    expect(JSON.stringify(queries)).toContain('/index/due-index');
    expect(JSON.stringify(queries)).toContain('/index/outbox-index');
    expect(JSON.stringify(queries)).not.toContain('/index/*');
  });

  it('lets the scheduler write and read its scan claims, and no other item with those rights', () => {
    const claims = statementsOfFunction(t, scheduler).filter((s) =>
      actionsOf(s).includes('dynamodb:PutItem'),
    );
    expect(claims).toHaveLength(1);
    expect(actionsOf(claims[0] ?? {}).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    expect(claims[0]?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SCAN#*'] },
    });
  });

  it('lets the refresher generate and decrypt data keys only under the service encryption context', () => {
    const [statement, ...others] = statementsOfFunction(t, refresher).filter(usesEnvelopeKey);
    expect(others).toEqual([]);
    expect(actionsOf(statement ?? {}).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(statement?.Condition).toEqual({
      StringEquals: {
        'kms:EncryptionContext:service': KMS_ENCRYPTION_CONTEXT.service,
        'kms:EncryptionContext:purpose': KMS_ENCRYPTION_CONTEXT.purpose,
      },
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['service', 'purpose'] },
    });
  });

  it('grants no wildcard actions and no wildcard resources except X-Ray', () => {
    for (const [id, policy] of Object.entries(resourcesOf(t, 'AWS::IAM::Policy'))) {
      const statements = (policy.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } })
        .PolicyDocument.Statement;
      for (const s of statements) {
        expect(
          actionsOf(s).filter((a) => a.includes('*')),
          id,
        ).toEqual([]);
        if (s.Resource === '*')
          expect(
            actionsOf(s).every((a) => a.startsWith('xray:')),
            id,
          ).toBe(true);
      }
    }
  });

  it('sets the refresher concurrency and provider timeout variables', () => {
    expect(refresher.props.Environment).toEqual({
      Variables: expect.objectContaining({
        REFRESH_CONCURRENCY: '10',
        INTEGRATION_CONCURRENCY: '4',
        PROVIDER_TIMEOUT_MS: '10000',
      }),
    });
  });

  it('rejects a rate that is not whole minutes, or slower than the refresh margin', () => {
    expect(() => pipeline(fixture(), { scheduleRate: Duration.seconds(90) })).toThrow(/whole minutes/);
    expect(() => pipeline(fixture(), { scheduleRate: Duration.minutes(30) })).toThrow(/from 1 to 15/);
  });

  it('rejects a flexible window longer than the rate', () => {
    expect(() =>
      pipeline(fixture(), { scheduleRate: Duration.minutes(2), flexibleWindow: Duration.minutes(5) }),
    ).toThrow(/flexibleWindow/);
  });

  it('rejects a refresher timeout whose six-fold visibility outlasts the scan claim', () => {
    expect(() => pipeline(fixture(), { refresherTimeout: Duration.minutes(2) })).toThrow(/scan claim/);
  });

  it('rejects a refresher timeout too short for two provider calls and the commit', () => {
    expect(() =>
      pipeline(fixture(), { refresherTimeout: Duration.seconds(20), providerTimeout: Duration.seconds(10) }),
    ).toThrow(/two provider calls/);
  });

  it('rejects a maximum concurrency outside Lambda limits and fewer than 5 receives', () => {
    expect(() => pipeline(fixture(), { maxConcurrency: 1 })).toThrow(/maxConcurrency/);
    expect(() => pipeline(fixture(), { maxReceiveCount: 3 })).toThrow(/maxReceiveCount/);
  });
});
