// Fault injection at the AWS SDK boundary (reliability.md: "SDK middleware to inject AWS throttling
// and errors, and lost responses (applied, then dropped)"). The middleware sits below the SDK's retry middleware, so every SDK retry passes through it: a lost response is
// retried by the SDK exactly as a real timeout would be.
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';

export type SdkFaultKind =
  /** Refused before it is applied (ThrottlingException / ProvisionedThroughputExceeded): retryable. */
  | 'throttle'
  /** Refused before it is applied with a socket timeout: retryable, request not applied. */
  | 'timeout'
  /** Applied by the service, then the response is lost (a retryable TimeoutError). */
  | 'lost_response';

export interface SdkFault {
  readonly kind: SdkFaultKind;
  /** Command name, e.g. `UpdateItem`, `GetItem`, `GenerateDataKey`; any when absent. */
  readonly command?: string;
  /** How many consecutive attempts it hits. @default 1 */
  times?: number;
}

/** What an observer sees of each attempt that reached the service. */
export interface SdkAttempt {
  readonly command: string;
  readonly input: Record<string, unknown>;
  readonly output?: Record<string, unknown>;
  readonly error?: unknown;
  /** The response was dropped by an injected fault after the service applied the request. */
  readonly lost: boolean;
}

/** A mutable fault plan shared with a client's middleware. */
export class SdkFaultPlan {
  private readonly queue: SdkFault[] = [];
  /** Faults that fired, by kind. */
  readonly fired: Record<SdkFaultKind, number> = { throttle: 0, timeout: 0, lost_response: 0 };
  /** Writes (UpdateItem) applied whose response was then dropped. */
  lostWrites = 0;
  observer: ((attempt: SdkAttempt) => void) | undefined;

  add(fault: SdkFault): void {
    this.queue.push({ ...fault, times: fault.times ?? 1 });
  }

  clear(): void {
    this.queue.length = 0;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** The fault for this attempt, consuming one of its `times`. */
  take(command: string): SdkFault | undefined {
    const index = this.queue.findIndex((f) => f.command === undefined || f.command === command);
    if (index < 0) return undefined;
    const fault = this.queue[index] as SdkFault;
    fault.times = (fault.times ?? 1) - 1;
    if (fault.times <= 0) this.queue.splice(index, 1);
    this.fired[fault.kind] += 1;
    if (fault.kind === 'lost_response' && command === 'UpdateItem') this.lostWrites += 1;
    return fault;
  }
}

function sdkError(name: string, message: string, fault: 'client' | 'server'): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: name === 'TimeoutError' ? undefined : 400 },
  });
}

interface MiddlewareStack {
  add(middleware: unknown, options: Record<string, unknown>): void;
}

/** Installs the fault plan's middleware on any AWS SDK v3 client (DynamoDB, KMS, SQS). */
export function attachSdkFaults(client: { middlewareStack: unknown }, plan: SdkFaultPlan): void {
  const stack = client.middlewareStack as MiddlewareStack;
  stack.add(
    (
      next: (args: unknown) => Promise<{ output: Record<string, unknown> }>,
      context: { commandName?: string },
    ) =>
      async (args: { input: Record<string, unknown> }) => {
        const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        const fault = plan.take(command);
        if (fault?.kind === 'throttle') {
          throw sdkError('ThrottlingException', 'Rate exceeded (injected)', 'client');
        }
        if (fault?.kind === 'timeout') {
          throw sdkError(
            'TimeoutError',
            'socket timed out before the request was applied (injected)',
            'client',
          );
        }
        let result: { output: Record<string, unknown> };
        try {
          result = await next(args);
        } catch (error) {
          plan.observer?.({ command, input: args.input, error, lost: false });
          throw error;
        }
        const lost = fault?.kind === 'lost_response';
        plan.observer?.({ command, input: args.input, output: result.output, lost });
        if (lost)
          throw sdkError('TimeoutError', 'response lost after the request was applied (injected)', 'client');
        return result;
      },
    { step: 'finalizeRequest', name: 'tortureSdkFaults', priority: 'low' },
  );
}

/**
 * A retry strategy with the SDK's standard semantics (throttling and transient errors are retried,
 * up to `maxAttempts`) but no delay, so fault schedules run in milliseconds.
 */
export function instantRetryStrategy(maxAttempts: number) {
  const token = (count: number) => ({
    getRetryCount: () => count,
    getRetryDelay: () => 0,
    getRetryCost: () => 0,
  });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (
      previous: ReturnType<typeof token>,
      info: { errorType: string; error?: unknown },
    ) => {
      if (info.errorType === 'CLIENT_ERROR' || previous.getRetryCount() + 1 >= maxAttempts) {
        throw info.error ?? new Error('no retry');
      }
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}

/** A DynamoDB client for a local endpoint with SDK retries on (3 attempts, no delay) and a fault plan. */
export function faultyDynamoClient(endpoint: string, plan: SdkFaultPlan): DynamoDBClient {
  const config: DynamoDBClientConfig = {
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  };
  config.retryStrategy = instantRetryStrategy(3) as unknown as NonNullable<
    DynamoDBClientConfig['retryStrategy']
  >;
  const client = new DynamoDBClient(config);
  attachSdkFaults(client, plan);
  return client;
}
