import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** Account id the local stand-ins use in ARNs (fauxqs uses the same). */
export const LOCAL_ACCOUNT_ID = '000000000000';

export interface LambdaContextOptions {
  readonly functionName: string;
  /** The function's configured timeout: `getRemainingTimeInMillis` counts down from it. */
  readonly timeoutMs: number;
  readonly region: string;
  /** @default 512 */
  readonly memoryMb?: number;
}

/**
 * A Lambda-like invocation context. Handlers read `getRemainingTimeInMillis` to refuse work that
 * cannot finish in time (design.md invariant 6), so it must count down like the real one.
 */
export function lambdaContext(options: LambdaContextOptions): Context {
  const deadline = Date.now() + options.timeoutMs;
  const { functionName, region } = options;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(options.memoryMb ?? 512),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // The deprecated callback-style methods exist on the type only; async handlers never call them.
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * Resolves with the promise's value, or rejects with a {@link FunctionTimeoutError} after `ms`.
 * The work itself keeps running (a process cannot kill an async function), which is why callers
 * treat a timeout exactly as Lambda does: the invocation failed, nothing is acknowledged.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, functionName: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, ms)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The local stand-in for "Task timed out after N seconds". */
export class FunctionTimeoutError extends Error {
  constructor(functionName: string, ms: number) {
    super(`${functionName} timed out after ${ms} ms`);
    this.name = 'FunctionTimeoutError';
  }
}
