import { DefaultStackSynthesizer, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type IScalableTableAttribute,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import {
  AccountRootPrincipal,
  ArnPrincipal,
  type IRole,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TTL_ATTRIBUTE, tableDefinition } from '../shared/adapters/aws/dynamodb/table';
import { envelopeKeyConditions } from './permissions';

/**
 * What a key administrator may do with the envelope key: manage it, never use it (no Decrypt,
 * Encrypt, GenerateDataKey, ReEncrypt, and no CreateGrant, which could hand those out). Changing
 * the key policy (PutKeyPolicy) is the audited break-glass path (infra/DEPLOY.md, "Key policy and break-glass").
 */
export const KEY_ADMIN_ACTIONS = [
  'kms:CancelKeyDeletion',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:DescribeKey',
  'kms:DisableKey',
  'kms:DisableKeyRotation',
  'kms:EnableKey',
  'kms:EnableKeyRotation',
  'kms:GetKeyPolicy',
  'kms:GetKeyRotationStatus',
  'kms:ListAliases',
  'kms:ListGrants',
  'kms:ListKeyPolicies',
  'kms:ListResourceTags',
  'kms:PutKeyPolicy',
  'kms:RevokeGrant',
  'kms:RotateKeyOnDemand',
  'kms:ScheduleKeyDeletion',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:UpdateAlias',
  'kms:UpdateKeyDescription',
] as const;

/** Existing resources the store uses instead of creating them (a restored table, a redeploy after destroy). */
export interface AdoptedStore {
  /** A table with this service's key schema and indexes (e.g. restored from a point in time). */
  readonly tableName?: string | undefined;
  /** The key the adopted table is encrypted with. @default - the store's own table key */
  readonly tableKeyArn?: string | undefined;
  /**
   * The envelope key the stored tokens were encrypted under (a retained key of an earlier
   * deployment). Its key policy is not managed by this stack: put the statements of
   * `envelopeKeyPolicy` on it (infra/DEPLOY.md, "Restore").
   */
  readonly envelopeKeyArn?: string | undefined;
}

/** Attribute of the connect sessions' expiry (epoch seconds), see shared/adapters/aws/dynamodb/connect-sessions.ts. */
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
  /**
   * Principals (IAM role or user ARNs) that administer the envelope key but cannot use it. The
   * CloudFormation execution role of CDK's bootstrap is always one (it creates and updates the key).
   * @default - only the CloudFormation execution role
   */
  readonly keyAdministratorArns?: readonly string[];
  /** @default - create the table and both keys */
  readonly adopt?: AdoptedStore;
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
  /** RETAIN unless the props say otherwise; the webhook signing secret shares it. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * The envelope key's policy: administrators plus one statement per function that uses the key.
   * Attached to the key the store creates; for an adopted key it is what to put on it by hand.
   */
  readonly envelopeKeyPolicy: PolicyDocument;

  constructor(scope: Construct, id: string, props: TokenStoreProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const deletionProtection = props.deletionProtection ?? true;
    if (removalPolicy === RemovalPolicy.DESTROY && deletionProtection) {
      // CloudFormation would fail the stack deletion on the protected table.
      throw new Error(`${this.node.path}: removalPolicy DESTROY needs deletionProtection: false`);
    }
    this.removalPolicy = removalPolicy;
    const adopt = props.adopt ?? {};
    this.tableKey =
      props.tableKey ??
      (adopt.tableKeyArn === undefined
        ? new Key(this, 'TableKey', {
            description: 'OAuth token refresh service: table encryption at rest',
            enableKeyRotation: true,
            removalPolicy,
          })
        : Key.fromKeyArn(this, 'AdoptedTableKey', adopt.tableKeyArn));
    this.envelopeKeyPolicy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'KeyAdministration',
          actions: [...KEY_ADMIN_ACTIONS],
          principals: keyAdministrators(this, props.keyAdministratorArns ?? []).map(
            (a) => new ArnPrincipal(a),
          ),
          resources: ['*'],
        }),
      ],
    });
    if (props.envelopeKey !== undefined) {
      this.envelopeKey = props.envelopeKey;
    } else if (adopt.envelopeKeyArn !== undefined) {
      this.envelopeKey = Key.fromKeyArn(this, 'AdoptedEnvelopeKey', adopt.envelopeKeyArn);
    } else {
      // No statement delegating the key to IAM (account root without a principal condition): IAM
      // policies alone (AdministratorAccess, PowerUserAccess) never reach this key.
      this.envelopeKey = new Key(this, 'EnvelopeKey', {
        description: 'OAuth token refresh service: envelope encryption of tokens and client secrets',
        enableKeyRotation: true,
        removalPolicy,
        policy: this.envelopeKeyPolicy,
      });
    }

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
    if (adopt.tableName !== undefined) {
      if (props.provisioned !== undefined) {
        throw new Error(
          `${this.node.path}: an adopted table's capacity is not managed here; leave out provisioned`,
        );
      }
      this.table = Table.fromTableAttributes(this, 'AdoptedTable', {
        tableName: adopt.tableName,
        encryptionKey: this.tableKey,
        grantIndexPermissions: true,
      }) as unknown as ITable;
      return;
    }
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

  /**
   * Names a function's role in the envelope key policy (GenerateDataKey and Decrypt with the
   * service's encryption context only); its IAM policy comes from `grantEnvelopeKey`. The key
   * policy names only such roles, so nobody else in the account can decrypt a token.
   */
  addEnvelopeKeyUser(role: IRole): void {
    // The principal is the account, narrowed to exactly this role by `aws:PrincipalArn`: KMS
    // validates a role principal when the policy is put, which can fail for a role created moments
    // earlier in the same deployment, and a role ARN principal turns into an unusable id if the
    // role is ever recreated. Either way only sessions of this role match; the role's IAM policy
    // (grantEnvelopeKey) must allow the call as well.
    const statement = new PolicyStatement({
      sid: `Use${this.envelopeKeyPolicy.statementCount}`,
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      principals: [new AccountRootPrincipal()],
      resources: ['*'],
      conditions: { ...envelopeKeyConditions(), ArnEquals: { 'aws:PrincipalArn': role.roleArn } },
    });
    this.envelopeKeyPolicy.addStatements(statement);
  }
}

/** The configured key administrators plus CDK's CloudFormation execution role (deduplicated). */
function keyAdministrators(scope: Construct, configured: readonly string[]): string[] {
  const synthesizer = Stack.of(scope).synthesizer;
  const deployRole =
    synthesizer instanceof DefaultStackSynthesizer
      ? [Fn.sub(synthesizer.cloudFormationExecutionRoleArn)]
      : [];
  const all = [...new Set([...deployRole, ...configured])];
  if (all.length === 0) {
    throw new Error(
      `${scope.node.path}: keyAdministratorArns is required with a synthesizer other than DefaultStackSynthesizer`,
    );
  }
  return all;
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
