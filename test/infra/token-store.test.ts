import { RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TokenStore } from '../../infra/token-store';
import { tableDefinition } from '../../shared/adapters/aws/dynamodb/table';
import { fixture, resource, template, testStack } from './support';

describe('TokenStore', () => {
  const { stack } = fixture();
  const t = template(stack);
  const table = resource(t, 'AWS::DynamoDB::Table', 'StoreTable').props;

  it('mirrors tableDefinition(): keys, attribute types and the keys-only due and outbox indexes', () => {
    const definition = tableDefinition('x');
    const sortByName = (items: ReadonlyArray<{ AttributeName?: string | undefined }> | undefined) =>
      [...(items ?? [])].sort((a, b) => String(a.AttributeName).localeCompare(String(b.AttributeName)));
    expect(sortByName(table.AttributeDefinitions as { AttributeName: string }[])).toEqual(
      sortByName(definition.AttributeDefinitions),
    );
    expect(table.KeySchema).toEqual(definition.KeySchema);
    expect(table.GlobalSecondaryIndexes).toEqual(definition.GlobalSecondaryIndexes);
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('expires connect sessions through the ttl attribute', () => {
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
  });

  it('keeps point-in-time recovery on', () => {
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('is protected from deletion and retained by default', () => {
    expect(table.DeletionProtectionEnabled).toBe(true);
    t.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('encrypts the table with its own customer-managed key, apart from the envelope key', () => {
    const tableKey = resource(t, 'AWS::KMS::Key', 'StoreTableKey').id;
    const envelopeKey = resource(t, 'AWS::KMS::Key', 'StoreEnvelopeKey').id;
    expect(table.SSESpecification).toEqual({
      KMSMasterKeyId: { 'Fn::GetAtt': [tableKey, 'Arn'] },
      SSEEnabled: true,
      SSEType: 'KMS',
    });
    expect(tableKey).not.toBe(envelopeKey);
  });

  it('rotates both keys and retains them', () => {
    t.resourcePropertiesCountIs('AWS::KMS::Key', { EnableKeyRotation: true }, 2);
    t.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  it('can run on provisioned capacity, auto scaled to 70 % for the table and both indexes', () => {
    const s = testStack('Provisioned');
    new TokenStore(s, 'Store', { provisioned: { maxWriteCapacity: 200 } });
    const p = template(s);
    p.hasResourceProperties('AWS::DynamoDB::Table', {
      ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
    });
    // Reads and writes of the table, of due-index and of outbox-index.
    p.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 6);
    p.resourcePropertiesCountIs(
      'AWS::ApplicationAutoScaling::ScalableTarget',
      { MaxCapacity: 200, MinCapacity: 1 },
      6,
    );
    p.resourcePropertiesCountIs(
      'AWS::ApplicationAutoScaling::ScalingPolicy',
      { TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 70 }) },
      6,
    );
  });

  it('refuses provisioned capacities that cannot scale', () => {
    const make = (provisioned: ConstructorParameters<typeof TokenStore>[2]) => () =>
      new TokenStore(testStack(`Bad${Math.random().toString(36).slice(2)}`), 'Store', provisioned);
    expect(make({ provisioned: { maxWriteCapacity: 0 } })).toThrow(/minCapacity/);
    expect(make({ provisioned: { maxWriteCapacity: 10, minCapacity: 20 } })).toThrow(/minCapacity/);
    expect(make({ provisioned: { maxWriteCapacity: 10, targetUtilizationPercent: 99 } })).toThrow(
      /targetUtilizationPercent/,
    );
  });

  it('lets deletion protection be switched off for a disposable deployment', () => {
    const s = testStack('Dev');
    new TokenStore(s, 'Store', { deletionProtection: false, removalPolicy: RemovalPolicy.DESTROY });
    const dev = template(s);
    dev.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
    dev.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    dev.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true }),
    });
  });

  it('rejects removal on stack deletion while deletion protection is on', () => {
    const s = testStack('Bad');
    expect(() => new TokenStore(s, 'Store', { removalPolicy: RemovalPolicy.DESTROY })).toThrow(
      /DESTROY needs deletionProtection: false/,
    );
  });
});
