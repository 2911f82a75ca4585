/**
 * Lambda-shaped invocations of the real handlers (the same modules the local runtime loaded, so the
 * same process runtime), and the memory sizes the GB-second estimate uses.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from '../../infra/local/context';
import type { SqsHandler } from '../../infra/local/poller';

const REGION = 'us-east-1';
const QUEUE_ARN = `arn:aws:sqs:${REGION}:000000000000:refresh`;

export interface RefreshTaskRef {
  readonly integrationId: string;
  readonly connectionId: string;
}

function record(task: RefreshTaskRef, dueAt: number): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify({
      v: 1,
      integration_id: task.integrationId,
      connection_id: task.connectionId,
      due_at: dueAt,
    }),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: now,
      SenderId: '000000000000',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: QUEUE_ARN,
    awsRegion: REGION,
  };
}

/**
 * Invokes the refresher handler once with these tasks as one SQS batch, as a Lambda container would.
 * @returns the invocation's duration in ms and the number of records it reported as failed.
 */
export async function invokeRefresher(
  refresherHandler: SqsHandler,
  tasks: readonly RefreshTaskRef[],
): Promise<{ ms: number; failed: number }> {
  const event: SQSEvent = { Records: tasks.map((t) => record(t, Date.now())) };
  const context = lambdaContext({ functionName: 'refresher', timeoutMs: 30_000, region: REGION });
  const started = performance.now();
  try {
    const response = await refresherHandler(event, context);
    return { ms: performance.now() - started, failed: response?.batchItemFailures.length ?? 0 };
  } catch {
    // Powertools throws when every record of the batch failed.
    return { ms: performance.now() - started, failed: tasks.length };
  }
}

/** An API Gateway HTTP API (payload 2.0) event, shaped as infra/local/http.ts `toEvent` makes them. */
export function apiEvent(
  method: string,
  path: string,
  headers: Record<string, string>,
): APIGatewayProxyEventV2 {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: '127.0.0.1', 'user-agent': 'bench', accept: '*/*', ...headers },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
}

export interface MemorySizes {
  readonly refresherMb: number;
  readonly apiMb: number;
  /** Where the sizes came from: the CDK construct, or the assumption. */
  readonly source: string;
}

/** The assumption when no CDK construct sets the memory size (issue 5 will). */
export const ASSUMED_MEMORY_MB = 256;

/**
 * Reads the memory size of the refresher and api functions from the CDK constructs under infra/
 * (not infra/local), best effort: the `memorySize` in the `new ServiceFunction(…, { name: '<fn>', … })`
 * block (its default when written as `props.memorySize ?? <n>`), else the ServiceFunction default
 * (infra/service-function.ts), else {@link ASSUMED_MEMORY_MB}.
 */
export async function lambdaMemorySizes(root: string): Promise<MemorySizes> {
  const files = (await listTs(join(root, 'infra')).catch(() => [] as string[])).filter(
    (f) => !f.includes(`${join('infra', 'local')}`),
  );
  const texts = await Promise.all(
    files.map(async (f) => ({ file: f.slice(root.length + 1), text: await readFile(f, 'utf8') })),
  );
  const memory = (text: string) => /memorySize:\s*(?:props\.\w+\s*\?\?\s*)?(\d+)/.exec(text)?.[1];
  const base = texts.find((t) => t.file.endsWith('service-function.ts'));
  const baseDefault = base === undefined ? undefined : memory(base.text);
  const lookup = (fn: string): { mb: number; where: string } | undefined => {
    for (const { file, text } of texts) {
      const at = text.search(new RegExp(`name:\\s*'${fn}'`));
      if (at < 0) continue;
      const end = text.indexOf('});', at);
      const own = memory(text.slice(at, end < 0 ? undefined : end));
      if (own !== undefined) return { mb: Number(own), where: file };
      if (baseDefault !== undefined && base !== undefined)
        return { mb: Number(baseDefault), where: `${base.file} (default)` };
    }
    return undefined;
  };
  const refresher = lookup('refresher');
  const api = lookup('api');
  const describe = (name: string, found: { mb: number; where: string } | undefined) =>
    found === undefined
      ? `${name} assumed ${ASSUMED_MEMORY_MB} MB (no CDK construct found)`
      : `${name} ${found.mb} MB from ${found.where}`;
  return {
    refresherMb: refresher?.mb ?? ASSUMED_MEMORY_MB,
    apiMb: api?.mb ?? ASSUMED_MEMORY_MB,
    source: `${describe('refresher', refresher)}; ${describe('api', api)}`,
  };
}

async function listTs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await listTs(path)));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}
