import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll } from 'vitest';
import type { EnvironmentValues } from '../../infra/environment';
import { type FunctionName, PROJECT_ROOT } from '../../infra/functions';
import { addNagChecks } from '../../infra/nag';
import type { ServiceFunction } from '../../infra/service-function';
import { TokenRefreshStack, type TokenRefreshStackProps } from '../../infra/stack';
import { TokenStore } from '../../infra/token-store';

/** cdk.json's context (feature flags): a test's `new App()` does not read cdk.json by itself. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * An App writing to a temporary folder removed after the file's tests, with cdk.json's feature
 * flags. Bundling is skipped (`aws:cdk:bundling-stacks`) unless asked for: esbuild takes seconds
 * per function, and only the bundling test needs real bundles.
 */
export function testApp(options: { bundle?: boolean; context?: Record<string, unknown> } = {}): App {
  const outdir = mkdtempSync(join(tmpdir(), 'oauth-refresher-cdk-'));
  outdirs.push(outdir);
  return new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  });
}

/** An empty stack in a fresh test app (see testApp), for a construct test to build in. */
export function testStack(id = 'Test', props: StackProps = {}): Stack {
  return new Stack(testApp(), id, props);
}

/** What the per-construct tests wire around the construct under test. */
export interface Fixture {
  readonly stack: Stack;
  readonly store: TokenStore;
  readonly webhookQueue: Queue;
  readonly environment: EnvironmentValues;
  /** The props TokenRefreshService gives each of its constructs (table, envelope key, webhook queue, environment). */
  readonly wiring: {
    readonly table: TokenStore['table'];
    readonly envelopeKey: TokenStore['envelopeKey'];
    readonly webhookQueue: IQueue;
    readonly environment: EnvironmentValues;
  };
}

/** A stack with a token store and a stand-in webhook queue, as TokenRefreshService would pass them. */
export function fixture(stackProps: StackProps = {}): Fixture {
  const stack = testStack('Test', stackProps);
  const store = new TokenStore(stack, 'Store');
  const webhookQueue = new Queue(stack, 'WebhookQueue');
  const refreshQueue = new Queue(stack, 'RefreshQueueStandIn');
  const environment: EnvironmentValues = {
    tableName: store.table.tableName,
    kmsKeyId: store.envelopeKey.keyArn,
    refreshQueueUrl: refreshQueue.queueUrl,
    webhookQueueUrl: webhookQueue.queueUrl,
    dueShards: 16,
    logLevel: 'INFO',
    serviceName: 'oauth-refresher',
    metricsNamespace: 'OAuthRefresher',
  };
  return {
    stack,
    store,
    webhookQueue,
    environment,
    wiring: { table: store.table, envelopeKey: store.envelopeKey, webhookQueue, environment },
  };
}

/** The whole service stack (infra/stack.ts), synthesized. */
export interface SynthesizedService {
  readonly app: App;
  readonly stack: TokenRefreshStack;
  readonly assembly: CloudAssembly;
  readonly t: Template;
  /** The four functions, by their name in infra/functions.ts. */
  readonly functions: Record<FunctionName, ServiceFunction>;
}

/**
 * Builds and synthesizes TokenRefreshStack in a test app. `nag`: with both cdk-nag packs (a finding
 * fails the synth); `bundle`: esbuild bundles the functions for real (seconds).
 */
export function synthService(
  options: { stackName?: string; props?: TokenRefreshStackProps; nag?: boolean; bundle?: boolean } = {},
): SynthesizedService {
  const app = testApp({ bundle: options.bundle === true });
  const stack = new TokenRefreshStack(app, options.stackName ?? 'OAuthRefresher', options.props);
  if (options.nag === true) addNagChecks(app);
  const assembly = app.synth();
  const { service } = stack;
  return {
    app,
    stack,
    assembly,
    t: Template.fromStack(stack),
    functions: {
      scheduler: service.refresh.scheduler,
      refresher: service.refresh.refresher,
      'webhook-sender': service.webhooks.sender,
      api: service.api.function,
    },
  };
}

export const template = (stack: Stack): Template => Template.fromStack(stack);

type Json = Record<string, unknown>;

/** Resources of a type, by logical id. */
export function resourcesOf(t: Template, type: string): Record<string, Json> {
  return t.findResources(type) as Record<string, Json>;
}

/** The one resource of a type whose logical id is `path` (construct ids joined) plus CDK's hash. */
export function resource(t: Template, type: string, path: string): { id: string; props: Json } {
  const pattern = new RegExp(`^${path}[0-9A-F]{8}$`);
  const matches = Object.entries(resourcesOf(t, type)).filter(([id]) => pattern.test(id));
  if (matches.length !== 1) throw new Error(`${matches.length} ${type} resources named ${path}`);
  const [id, body] = matches[0] as [string, Json];
  return { id, props: (body.Properties ?? {}) as Json };
}

/** Every IAM statement of the policies attached to a role (by the role's logical id). */
export function statementsOfRole(t: Template, roleId: string): Json[] {
  const statements: Json[] = [];
  for (const policy of Object.values(resourcesOf(t, 'AWS::IAM::Policy'))) {
    const props = policy.Properties as {
      Roles?: Array<{ Ref?: string }>;
      PolicyDocument: { Statement: Json[] };
    };
    if (props.Roles?.some((r) => r.Ref === roleId)) statements.push(...props.PolicyDocument.Statement);
  }
  return statements;
}

/** The actions of a statement as a list. */
export function actionsOf(statement: Json): string[] {
  const action = statement.Action;
  return Array.isArray(action) ? (action as string[]) : [action as string];
}

/** Every IAM statement of the policies attached to a function's role (the function as `resource` finds it). */
export function statementsOfFunction(t: Template, fn: { props: Json }): Json[] {
  const role = fn.props.Role as { 'Fn::GetAtt': [string, string] };
  return statementsOfRole(t, role['Fn::GetAtt'][0]);
}
