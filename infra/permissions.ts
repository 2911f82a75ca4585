import { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { KMS_ENCRYPTION_CONTEXT } from '../shared/adapters/aws/kms';

/** The DynamoDB operations the service's code issues (see shared/adapters/aws/dynamodb). */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'Query' | 'Scan';

const WRITES: ReadonlySet<TableAction> = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/**
 * The given operations on the table, limited to items whose partition key matches one of
 * `partitionKeyPatterns` (IAM `dynamodb:LeadingKeys`, `*` wildcards): e.g. the scheduler's own
 * scan-claim partitions, never a connection.
 */
export function grantPartitionAccess(
  grantee: IGrantable,
  table: ITable,
  actions: readonly TableAction[],
  partitionKeyPatterns: readonly string[],
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: actions.map((a) => `dynamodb:${a}`),
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...partitionKeyPatterns] } },
    }),
  );
}

/**
 * Exactly the given operations on the table (no `dynamodb:*`, no `index/*`), `Query` on the named
 * indexes only, and the table key's use through DynamoDB (`kms:ViaService`) only: a principal that
 * may read the table through DynamoDB still cannot call KMS with that key itself.
 */
export function grantTableAccess(
  grantee: IGrantable,
  table: ITable,
  actions: readonly TableAction[],
  indexes: readonly string[] = [],
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources: [table.tableArn] }),
  );
  if (indexes.length > 0) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: indexes.map((name) => `${table.tableArn}/index/${name}`),
      }),
    );
  }
  const key = table.encryptionKey;
  if (key === undefined) return;
  const writes = actions.some((a) => WRITES.has(a));
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: [
        'kms:Decrypt',
        'kms:DescribeKey',
        ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext'] : []),
      ],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(table).region}.amazonaws.com` } },
    }),
  );
}

/**
 * The token envelope's key operations (shared/adapters/aws/kms.ts): GenerateDataKey and Decrypt, only
 * with the service's fixed encryption context and no other context keys. The per-connection
 * binding lives in the envelope's AAD, which KMS never sees, so this is as narrow as IAM can say.
 */
export function grantEnvelopeKey(grantee: IGrantable, key: IKey): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
      conditions: envelopeKeyConditions(),
    }),
  );
}

/** The service's fixed encryption context, exactly (no other context keys): IAM and key policy alike. */
export function envelopeKeyConditions(): Record<string, Record<string, unknown>> {
  return {
    StringEquals: Object.fromEntries(
      Object.entries(KMS_ENCRYPTION_CONTEXT).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]),
    ),
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': Object.keys(KMS_ENCRYPTION_CONTEXT) },
  };
}

/** `sqs:SendMessage` (SendMessageBatch is authorized by it) and nothing else. */
export function grantSend(grantee: IGrantable, queue: IQueue): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
  );
}
