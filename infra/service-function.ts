import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, type IDestination, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { lambdaModuleAliases } from './bundle/aliases';
import { type FunctionName, functionEntry, PROJECT_ROOT } from './functions';
import { acknowledge } from './nag';

/**
 * Lets the ESM bundle load CommonJS dependencies that `require()` Node built-ins: esbuild keeps
 * such calls as `require`, which ESM lacks.
 */
/** Copies `console/dist` (committed, `npm run build:console`) into the api bundle as `console/`. */
const CONSOLE_ASSETS_HOOKS = {
  beforeBundling: (): string[] => [],
  beforeInstall: (): string[] => [],
  afterBundling: (inputDir: string, outputDir: string): string[] => [
    `mkdir -p "${outputDir}/console"`,
    `cp "${inputDir}/console/dist/console.js" "${inputDir}/console/dist/console.css" "${outputDir}/console/"`,
  ],
};

export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface ServiceFunctionProps {
  /** The folder under `functions/`; its `handler.ts` exports `handler`. */
  readonly name: FunctionName;
  readonly description: string;
  /** Built with `functionEnvironment()`, so it matches the configuration schema. */
  readonly environment: Readonly<Record<string, string>>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 512 (Lambda CPU scales with memory; these functions are I/O bound) */
  readonly memorySize?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** What happens to the log group when the stack is deleted. @default RemovalPolicy.DESTROY */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** Asynchronous invocations only (the scheduler's). @default - none */
  readonly onFailure?: IDestination;
  /** Asynchronous invocations only. @default 2 (Lambda's default) */
  readonly retryAttempts?: number;
  /** Asynchronous invocations only. @default Duration.hours(6) (Lambda's default) */
  readonly maxEventAge?: Duration;
  /**
   * Concurrency reserved for this function: guaranteed to it, and its ceiling, so it can neither
   * starve nor be starved by other functions of the account. @default - none (unreserved pool)
   */
  readonly reservedConcurrency?: number;
}

/**
 * One of the service's functions, with everything that must not differ between them fixed here:
 * Node.js 22 on arm64, bundled locally by esbuild (never Docker) to ESM with source maps, the
 * pinned AWS SDK bundled (not the runtime's), no X-Ray tracing (nothing is instrumented, and an
 * instrumented SDK would outgrow the bundle budget: README, "Operate"), its own log group with a retention,
 * and a role of its own that starts with nothing but writing to that log group (no
 * AWSLambdaBasicExecutionRole: the constructs grant exactly what each function needs).
 */
export class ServiceFunction extends NodejsFunction {
  /** The function's own log group (NodejsFunction's `logGroup` getter returns it too). */
  readonly functionLogGroup: LogGroup;
  readonly serviceRole: Role;
  /** The bundled entry file, `functions/<name>/handler.ts`. */
  readonly entry: string;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.name} function of the OAuth token refresh service`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      entry: functionEntry(props.name),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.DISABLED,
      logGroup,
      role,
      // Stack traces in the logs point at the TypeScript sources (bundled with sourceMap).
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.onFailure === undefined ? {} : { onFailure: props.onFailure }),
      ...(props.retryAttempts === undefined ? {} : { retryAttempts: props.retryAttempts }),
      ...(props.maxEventAge === undefined ? {} : { maxEventAge: props.maxEventAge }),
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: true,
        // Lambda hands the role's credentials over in environment variables: bundle only that
        // provider, not the SDK's whole default chain (infra/bundle/aliases.ts).
        esbuildArgs: {
          '--alias': Object.entries(lambdaModuleAliases(PROJECT_ROOT)).map(([from, to]) => `${from}=${to}`),
        },
        forceDockerBundling: false,
        logLevel: LogLevel.ERROR,
        // The api function serves the operator console (GET /console): its two built files go
        // beside index.mjs, read from disk at the first request, outside the bundle's size budget.
        ...(props.name === 'api' ? { commandHooks: CONSOLE_ASSETS_HOOKS } : {}),
      },
    });
    this.functionLogGroup = logGroup;
    this.serviceRole = role;
    this.entry = functionEntry(props.name);
    const runtimeReason =
      'The service targets nodejs22.x on purpose: its code and tests run on Node 20/22 and are not ' +
      'verified on a newer runtime yet. Raise Runtime in infra/service-function.ts after testing.';
    acknowledge(this, 'AwsSolutions', 'AwsSolutions-L1', runtimeReason);
    acknowledge(this, 'Serverless', 'Serverless-LambdaLatestVersion', runtimeReason);
    acknowledge(
      this,
      'Serverless',
      'Serverless-LambdaTracing',
      'X-Ray is off by decision: the code is not instrumented, and Powertools Tracer (aws-xray-sdk-core ' +
        'plus instrumented SDK clients) would push the bundles past their 500 KB budget. Latency and ' +
        'failures are covered by EMF metrics, structured logs with the request id, API access logs and alarms.',
    );
  }
}
