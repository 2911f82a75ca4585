import { Match } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { WebhookDelivery, type WebhookDeliveryProps } from '../../infra/webhook-delivery';
import {
  WEBHOOK_DLQ_RETENTION_SECONDS,
  WEBHOOK_MAX_RECEIVE_COUNT,
  WEBHOOK_QUEUE_RETENTION_SECONDS,
} from '../../shared/webhooks/retry';
import {
  actionsOf,
  type Fixture,
  fixture,
  resource,
  resourcesOf,
  statementsOfFunction,
  template,
} from './support';

function delivery(f: Fixture, props: Partial<WebhookDeliveryProps> = {}): WebhookDelivery {
  return new WebhookDelivery(f.stack, 'Webhooks', {
    table: f.wiring.table,
    environment: f.wiring.environment,
    ...props,
  });
}

describe('WebhookDelivery', () => {
  const f = fixture();
  delivery(f, { webhookUrl: 'https://app.example/hooks' });
  const t = template(f.stack);
  const sender = resource(t, 'AWS::Lambda::Function', 'WebhooksSender');
  const queue = resource(t, 'AWS::SQS::Queue', 'WebhooksQueue').props;
  const dlq = resource(t, 'AWS::SQS::Queue', 'WebhooksDeadLetterQueue');
  const secret = resource(t, 'AWS::SecretsManager::Secret', 'WebhooksSigningSecret');
  const variables = (sender.props.Environment as { Variables: Record<string, unknown> }).Variables;

  it('redrives an event to the DLQ after WEBHOOK_MAX_RECEIVE_COUNT receives (the redelivery schedule)', () => {
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [dlq.id, 'Arn'] },
      maxReceiveCount: WEBHOOK_MAX_RECEIVE_COUNT,
    });
  });

  it('retains events as long as retry.ts plans for, and dead letters longer', () => {
    expect(queue.MessageRetentionPeriod).toBe(WEBHOOK_QUEUE_RETENTION_SECONDS);
    expect(dlq.props.MessageRetentionPeriod).toBe(WEBHOOK_DLQ_RETENTION_SECONDS);
    expect(WEBHOOK_DLQ_RETENTION_SECONDS).toBeGreaterThan(WEBHOOK_QUEUE_RETENTION_SECONDS);
  });

  it('gives the webhook queue a visibility timeout of six times the sender timeout', () => {
    expect(queue.VisibilityTimeout).toBe(6 * (sender.props.Timeout as number));
  });

  it('feeds the sender in batches with partial failures, a batch window and a maximum concurrency', () => {
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: sender.id },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('signs with a generated Secrets Manager secret that parses as a Standard Webhooks key', () => {
    expect(secret.props.GenerateSecretString).toEqual({
      ExcludePunctuation: true,
      IncludeSpace: false,
      PasswordLength: 44,
    });
    expect(variables.WEBHOOK_SECRET_ARN).toEqual({ Ref: secret.id });
    expect(variables).not.toHaveProperty('WEBHOOK_SECRET');
  });

  it('reads the secret with Powertools Parameters: no extension layer, no extension settings', () => {
    expect(sender.props.Layers).toBeUndefined();
    expect(Object.keys(variables).filter((k) => k.startsWith('PARAMETERS_SECRETS_'))).toEqual([]);
  });

  it('retains the generated secret by default (it outlives the stack like the data)', () => {
    const secret = resourcesOf(t, 'AWS::SecretsManager::Secret');
    expect(Object.values(secret).map((s) => s.DeletionPolicy)).toEqual(['Retain']);
  });

  it('may read the secret and integrations, record delivery outcomes in history partitions, change message visibility, and nothing with the envelope key', () => {
    const statements = statementsOfFunction(t, sender);
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(
      expect.arrayContaining(['secretsmanager:GetSecretValue', 'sqs:ChangeMessageVisibility']),
    );
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
    ]);
    // The delivery outcome (history) is written in history partitions only.
    const update = statements.find((st) => actionsOf(st).includes('dynamodb:UpdateItem'));
    expect(JSON.stringify(update)).toContain('"dynamodb:LeadingKeys":["H#*"]');
    const envelopeKey = resource(t, 'AWS::KMS::Key', 'StoreEnvelopeKey').id;
    expect(JSON.stringify(statements)).not.toContain(envelopeKey);
  });

  it('sends events without an integration override to the default webhook URL', () => {
    expect(variables.WEBHOOK_URL).toBe('https://app.example/hooks');
  });

  it('uses a secret it is given instead of creating one', () => {
    const g = fixture();
    const own = Secret.fromSecretNameV2(g.stack, 'Own', 'my-webhook-secret');
    delivery(g, { webhookSecret: own });
    const u = template(g.stack);
    expect(Object.keys(resourcesOf(u, 'AWS::SecretsManager::Secret'))).toEqual([]);
    u.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WEBHOOK_SECRET_ARN: Match.anyValue() }) },
    });
  });

  it('rejects a webhook URL that is not http(s)', () => {
    expect(() => delivery(fixture(), { webhookUrl: 'ftp://app.example/hooks' })).toThrow(/webhookUrl/);
    expect(() => delivery(fixture(), { webhookUrl: 'not a url' })).toThrow(/webhookUrl/);
  });

  it('rejects a maximum concurrency outside Lambda limits', () => {
    expect(() => delivery(fixture(), { maxConcurrency: 1001 })).toThrow(/maxConcurrency/);
  });
});
