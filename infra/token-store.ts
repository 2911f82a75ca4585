import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type IScalableTableAttribute,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE, tableDefinition } from '../shared/store/table';

/** Attribute of the connect sessions' expiry (epoch seconds), see shared/store/connect-sessions.ts. */
export { TTL_ATTRIBUTE };

export interface TokenStoreProps {
  /**
   * Refuse `DeleteTable` (also through CloudFormation) until it is switched off.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table and the keys when they leave the stack. Anything but RETAIN loses
   * every connection (and its refresh token) for good.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Key of the table's encryption at rest.
   * @default - a new customer-managed key with yearly rotation
   */
  readonly tableKey?: IKey;
  /**
   * Key of the token envelopes (KMS_KEY_ID): data keys come from GenerateDataKey under it. Kept
   * apart from the table key so that reading the table never implies unwrapping tokens.
   * @default - a new customer-managed key with yearly rotation
   */
  readonly envelopeKey?: IKey;
  /**
   * Provisioned capacity with target-tracking auto scaling (table and both indexes) instead of
   * on-demand. Refreshes are a steady, scheduled load, which provisioned capacity bills at about
   * half the on-demand price per write (`npm run bench`, "with provisioned capacity at 70 %");
   * on-demand absorbs sudden spikes without throttling.
   * @default - on-demand (PAY_PER_REQUEST)
   */
  readonly provisioned?: ProvisionedCapacity;
}

export interface ProvisionedCapacity {
  /** Upper bound of auto scaling for writes (table and each index). */
  readonly maxWriteCapacity: number;
  /** @default maxWriteCapacity */
  readonly maxReadCapacity?: number;
  /** @default 1 */
  readonly minCapacity?: number;
  /** Utilization auto scaling keeps. @default 70 */
  readonly targetUtilizationPercent?: number;
}

/**
 * The single DynamoDB table, mirroring `tableDefinition()` (keys, the sparse due and outbox
 * indexes): on-demand (or provisioned with auto scaling), point-in-time recovery, TTL for connect sessions, encrypted with a
 * customer-managed key; plus the envelope key for tokens and client secrets.
 */
export class TokenStore extends Construct {
  readonly table: ITable;
  readonly tableKey: IKey;
  readonly envelopeKey: IKey;

  constructor(scope: Construct, id: string, props: TokenStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const deletionProtection = props.deletionProtection ?? true;
    if (removalPolicy === RemovalPolicy.DESTROY && deletionProtection) {
      // CloudFormation would fail the stack deletion on the protected table.
      throw new Error(`${this.node.path}: removalPolicy DESTROY needs deletionProtection: false`);
    }
    this.tableKey =
      props.tableKey ??
      new Key(this, 'TableKey', {
        description: 'OAuth token refresh service: table encryption at rest',
        enableKeyRotation: true,
        removalPolicy,
      });
    this.envelopeKey =
      props.envelopeKey ??
      new Key(this, 'EnvelopeKey', {
        description: 'OAuth token refresh service: envelope encryption of tokens and client secrets',
        enableKeyRotation: true,
        removalPolicy,
      });

    const definition = tableDefinition('unused');
    const types = new Map(
      (definition.AttributeDefinitions ?? []).map((a) => [a.AttributeName, attributeType(a.AttributeType)]),
    );
    const key = (schema: typeof definition.KeySchema, kind: 'HASH' | 'RANGE') => {
      const name = schema?.find((k) => k.KeyType === kind)?.AttributeName;
      const type = name === undefined ? undefined : types.get(name);
      if (name === undefined || type === undefined) throw new Error(`table definition lacks a ${kind} key`);
      return { name, type };
    };
    const capacity = provisionedCapacity(this.node.path, props.provisioned);
    const table = new Table(this, 'Table', {
      partitionKey: key(definition.KeySchema, 'HASH'),
      sortKey: key(definition.KeySchema, 'RANGE'),
      ...(capacity === undefined
        ? { billingMode: BillingMode.PAY_PER_REQUEST }
        : {
            billingMode: BillingMode.PROVISIONED,
            readCapacity: capacity.min,
            writeCapacity: capacity.min,
          }),
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy,
    });
    for (const index of definition.GlobalSecondaryIndexes ?? []) {
      if (index.IndexName === undefined || index.Projection?.ProjectionType !== 'KEYS_ONLY') {
        throw new Error('every index of the table definition is a named KEYS_ONLY index');
      }
      table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        partitionKey: key(index.KeySchema, 'HASH'),
        sortKey: key(index.KeySchema, 'RANGE'),
        projectionType: ProjectionType.KEYS_ONLY,
        ...(capacity === undefined ? {} : { readCapacity: capacity.min, writeCapacity: capacity.min }),
      });
      if (capacity !== undefined) {
        autoScale(table.autoScaleGlobalSecondaryIndexReadCapacity(index.IndexName, capacity.reads), capacity);
        autoScale(
          table.autoScaleGlobalSecondaryIndexWriteCapacity(index.IndexName, capacity.writes),
          capacity,
        );
      }
    }
    if (capacity !== undefined) {
      autoScale(table.autoScaleReadCapacity(capacity.reads), capacity);
      autoScale(table.autoScaleWriteCapacity(capacity.writes), capacity);
    }
    // aws-cdk-lib's Table declares `tableStreamArn: string | undefined` where ITable has
    // `tableStreamArn?: string`, which exactOptionalPropertyTypes rejects; it is an ITable.
    this.table = table as unknown as ITable;
  }
}

interface ResolvedCapacity {
  readonly min: number;
  readonly reads: { minCapacity: number; maxCapacity: number };
  readonly writes: { minCapacity: number; maxCapacity: number };
  readonly target: number;
}

function provisionedCapacity(path: string, p: ProvisionedCapacity | undefined): ResolvedCapacity | undefined {
  if (p === undefined) return undefined;
  const min = p.minCapacity ?? 1;
  const maxReads = p.maxReadCapacity ?? p.maxWriteCapacity;
  const target = p.targetUtilizationPercent ?? 70;
  const whole = [min, p.maxWriteCapacity, maxReads].every((n) => Number.isInteger(n) && n >= 1);
  if (!whole || min > p.maxWriteCapacity || min > maxReads) {
    throw new Error(
      `${path}: provisioned capacities must be whole numbers with 1 ≤ minCapacity ≤ max capacities`,
    );
  }
  if (!(target >= 20 && target <= 90)) {
    throw new Error(`${path}: targetUtilizationPercent must be between 20 and 90`);
  }
  return {
    min,
    reads: { minCapacity: min, maxCapacity: maxReads },
    writes: { minCapacity: min, maxCapacity: p.maxWriteCapacity },
    target,
  };
}

function autoScale(scalable: IScalableTableAttribute, capacity: ResolvedCapacity): void {
  scalable.scaleOnUtilization({ targetUtilizationPercent: capacity.target });
}

function attributeType(type: string | undefined): AttributeType {
  switch (type) {
    case 'S':
      return AttributeType.STRING;
    case 'N':
      return AttributeType.NUMBER;
    case 'B':
      return AttributeType.BINARY;
    default:
      throw new Error(`unknown attribute type ${type}`);
  }
}
