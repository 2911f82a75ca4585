import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { tableDefinition } from '../shared/store/table';

/** Attribute of the connect sessions' expiry (epoch seconds), see shared/store/connect-sessions.ts. */
export const TTL_ATTRIBUTE = 'ttl';

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
}

/**
 * The single DynamoDB table, mirroring `tableDefinition()` (keys, the sparse due and outbox
 * indexes): on-demand, point-in-time recovery, TTL for connect sessions, encrypted with a
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
    const table = new Table(this, 'Table', {
      partitionKey: key(definition.KeySchema, 'HASH'),
      sortKey: key(definition.KeySchema, 'RANGE'),
      billingMode: BillingMode.PAY_PER_REQUEST,
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
      });
    }
    // aws-cdk-lib's Table declares `tableStreamArn: string | undefined` where ITable has
    // `tableStreamArn?: string`, which exactOptionalPropertyTypes rejects; it is an ITable.
    this.table = table as unknown as ITable;
  }
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
