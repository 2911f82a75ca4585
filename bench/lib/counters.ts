/**
 * Usage counters at the SDK boundary, so the cost figures are counted, not guessed:
 * - DynamoDB: a middleware adds `ReturnConsumedCapacity: 'TOTAL'` to every data-plane command and
 *   sums `ConsumedCapacity` of the outputs, per operation (classified from the command input).
 *   dynalite reports the base table's capacity only; index writes are derived analytically
 *   (see `gsiWritesPerRefresh` in the cost phase).
 * - SQS: a middleware counts requests and messages per command.
 * - KMS: `aws-sdk-client-mock` replaces KMSClient#send with a fake that makes real data keys, so
 *   the real KMS keyring (shared/adapters/aws/kms.ts) runs and every call it makes is counted.
 */
import { randomBytes } from 'node:crypto';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { A } from '../../shared/adapters/aws/dynamodb/codec';

/** Commands that accept ReturnConsumedCapacity. */
const CAPACITY_COMMANDS = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);

const READ_COMMANDS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);

export interface OpStats {
  calls: number;
  /** Sum of ConsumedCapacity.CapacityUnits reported by the endpoint (base table). */
  units: number;
  /** Conditional checks that failed (AWS still bills the write; dynalite reports nothing). */
  conditionFailed: number;
  /** Other errors. */
  errors: number;
  read: boolean;
}

export type DynamoSnapshot = Record<string, OpStats>;

interface InputShape {
  TableName?: string;
  IndexName?: string;
  Key?: Record<string, AttributeValue>;
  UpdateExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, AttributeValue>;
  Item?: Record<string, AttributeValue>;
  ReturnConsumedCapacity?: string;
}

interface CapacityShape {
  CapacityUnits?: number;
}

/** What an operation is, from the command and its input (names as the store writes them). */
export function classify(command: string, input: InputShape): string {
  const op = command.replace(/Command$/, '');
  const sk = input.Key?.sk?.S;
  const pk = input.Key?.pk?.S;
  switch (op) {
    case 'GetItem':
      if (pk === 'KEYS') return 'GetItem:api-key';
      if (sk === 'I') return 'GetItem:integration';
      if (sk?.startsWith('C#') === true) return 'GetItem:connection';
      return 'GetItem:other';
    case 'Query':
      if (input.ExpressionAttributeValues?.[':pk']?.S?.startsWith('SCAN#') === true)
        return 'Query:scan-claims';
      return `Query:${input.IndexName ?? 'table'}`;
    case 'PutItem':
      if (input.Item?.pk?.S?.startsWith('SCAN#') === true) return 'PutItem:scan-claims';
      return 'PutItem';
    case 'UpdateItem': {
      if (pk?.startsWith('H#') === true) return 'UpdateItem:history';
      if (sk === 'I') return 'UpdateItem:integration';
      if (pk === 'KEYS') return 'UpdateItem:api-key';
      const names = new Set(Object.values(input.ExpressionAttributeNames ?? {}));
      const expr = input.UpdateExpression ?? '';
      // Attribute names as the store writes them (shared/adapters/aws/dynamodb/codec.ts), so a rename follows along.
      if (names.has(A.createdAt)) return 'UpdateItem:import';
      if (names.has(A.status)) {
        return names.has(A.credentialGeneration) ? 'UpdateItem:commit' : 'UpdateItem:commit-failure';
      }
      if (names.has(A.leaseOwner))
        return expr.startsWith('REMOVE') ? 'UpdateItem:release' : 'UpdateItem:lease';
      if (names.has(A.outbox)) return 'UpdateItem:outbox';
      return 'UpdateItem:other';
    }
    default:
      return op;
  }
}

export class DynamoCounter {
  private ops: DynamoSnapshot = {};
  /** Called after every successful operation (e.g. to detect the N-th commit). */
  onSuccess: ((op: string) => void) | undefined;

  /** Adds the counting middleware to a client (idempotent per client). */
  attach(client: DynamoDBClient): void {
    const name = 'benchConsumedCapacity';
    if (client.middlewareStack.identify().some((entry) => entry.startsWith(name))) return;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        const input = args.input as InputShape;
        const op = classify(command, input);
        const withCapacity = CAPACITY_COMMANDS.has(command)
          ? { ...args, input: { ...input, ReturnConsumedCapacity: 'TOTAL' } as typeof args.input }
          : args;
        const stats = this.stats(op, READ_COMMANDS.has(command));
        try {
          const result = await next(withCapacity);
          stats.calls += 1;
          const consumed = (result.output as { ConsumedCapacity?: CapacityShape | CapacityShape[] })
            .ConsumedCapacity;
          for (const c of Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) {
            stats.units += c.CapacityUnits ?? 0;
          }
          this.onSuccess?.(op);
          return result;
        } catch (error) {
          stats.calls += 1;
          if (error instanceof Error && error.name === 'ConditionalCheckFailedException')
            stats.conditionFailed += 1;
          else stats.errors += 1;
          throw error;
        }
      },
      { step: 'initialize', name },
    );
  }

  reset(): void {
    this.ops = {};
  }

  snapshot(): DynamoSnapshot {
    return structuredClone(this.ops);
  }

  private stats(op: string, read: boolean): OpStats {
    let stats = this.ops[op];
    if (stats === undefined) {
      stats = { calls: 0, units: 0, conditionFailed: 0, errors: 0, read };
      this.ops[op] = stats;
    }
    return stats;
  }
}

/** Totals of a snapshot: read units, write units, calls. */
export function totals(snapshot: DynamoSnapshot): {
  readUnits: number;
  writeUnits: number;
  reads: number;
  writes: number;
  conditionFailed: number;
  errors: number;
} {
  let readUnits = 0;
  let writeUnits = 0;
  let reads = 0;
  let writes = 0;
  let conditionFailed = 0;
  let errors = 0;
  for (const s of Object.values(snapshot)) {
    if (s.read) {
      readUnits += s.units;
      reads += s.calls;
    } else {
      writeUnits += s.units;
      writes += s.calls;
    }
    conditionFailed += s.conditionFailed;
    errors += s.errors;
  }
  return { readUnits, writeUnits, reads, writes, conditionFailed, errors };
}

export interface SqsStats {
  requests: number;
  messages: number;
  /** ReceiveMessage calls that returned nothing (a Lambda event-source mapping's idle polls). */
  empty: number;
}

export type SqsSnapshot = Record<string, SqsStats>;

export class SqsCounter {
  private ops: SqsSnapshot = {};

  attach(client: SQSClient): void {
    const name = 'benchSqsCounter';
    if (client.middlewareStack.identify().some((entry) => entry.startsWith(name))) return;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
        const result = await next(args);
        let stats = this.ops[command];
        if (stats === undefined) {
          stats = { requests: 0, messages: 0, empty: 0 };
          this.ops[command] = stats;
        }
        stats.requests += 1;
        const input = args.input as { Entries?: unknown[] };
        const output = result.output as { Messages?: unknown[] };
        if (command === 'ReceiveMessage') {
          const n = output.Messages?.length ?? 0;
          stats.messages += n;
          if (n === 0) stats.empty += 1;
        } else if (Array.isArray(input.Entries)) {
          stats.messages += input.Entries.length;
        } else if (command === 'SendMessage') {
          stats.messages += 1;
        }
        return result;
      },
      { step: 'initialize', name },
    );
  }

  reset(): void {
    this.ops = {};
  }

  snapshot(): SqsSnapshot {
    return structuredClone(this.ops);
  }
}

/** SQS requests that scale with work: everything but ReceiveMessage calls that returned nothing. */
export function sqsWorkRequests(snapshot: SqsSnapshot): number {
  let n = 0;
  for (const [command, s] of Object.entries(snapshot)) {
    n += command === 'ReceiveMessage' ? s.requests - s.empty : s.requests;
  }
  return n;
}

/**
 * Size of the CiphertextBlob KMS returns for an AES_256 data key of a symmetric key (the blob
 * carries the key reference and the sealed key): 184 bytes in practice. The fake returns blobs of
 * this size so that items are as large as they will be on AWS.
 */
export const KMS_WRAPPED_KEY_BYTES = 184;

export interface FakeKms {
  readonly calls: { generateDataKey: number; decrypt: number };
  total(): number;
  reset(): void;
  restore(): void;
}

/**
 * Replaces every KMSClient's `send` (aws-sdk-client-mock stubs the prototype) with a fake KMS:
 * GenerateDataKey returns a random data key and an opaque blob, Decrypt returns the key of a blob
 * it issued. Install it before the runtime builds its KMS client.
 */
export function installFakeKms(): FakeKms {
  const kms = mockClient(KMSClient);
  const issued = new Map<string, Uint8Array>();
  const calls = { generateDataKey: 0, decrypt: 0 };
  kms.on(GenerateDataKeyCommand).callsFake(() => {
    calls.generateDataKey += 1;
    const plaintext = randomBytes(32);
    const blob = randomBytes(KMS_WRAPPED_KEY_BYTES);
    issued.set(blob.toString('hex'), new Uint8Array(plaintext));
    return { Plaintext: new Uint8Array(plaintext), CiphertextBlob: new Uint8Array(blob), KeyId: 'bench-key' };
  });
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob?: Uint8Array }) => {
    calls.decrypt += 1;
    const key = issued.get(Buffer.from(input.CiphertextBlob ?? new Uint8Array()).toString('hex'));
    if (key === undefined) {
      const error = new Error('the fake KMS did not issue this blob');
      error.name = 'InvalidCiphertextException';
      throw error;
    }
    return { Plaintext: new Uint8Array(key), KeyId: 'bench-key' };
  });
  return {
    calls,
    total: () => calls.generateDataKey + calls.decrypt,
    reset: () => {
      calls.generateDataKey = 0;
      calls.decrypt = 0;
    },
    restore: () => kms.restore(),
  };
}
