import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { FUNCTION_ENVIRONMENT, OPTIONAL_FUNCTION_ENVIRONMENT } from '../../infra/environment';
import { FUNCTION_NAMES, type FunctionName, PROJECT_ROOT } from '../../infra/functions';
import { configSchema, loadConfig } from '../../shared/config/config';
import { ENV } from '../../shared/config/env';
import { resourcesOf, synthService } from './support';

// One synthesized stack (with both cdk-nag packs) for the whole file.
const { stack, assembly, t, functions } = synthService({
  props: {
    service: {
      webhooks: { webhookUrl: 'https://app.example/hooks' },
      monitoring: { alarmEmail: 'ops@example.com' },
    },
  },
  nag: true,
});
const variablesOf = (name: FunctionName): Record<string, unknown> => {
  const id = stack.getLogicalId(functions[name].node.defaultChild as CfnFunction);
  const props = resourcesOf(t, 'AWS::Lambda::Function')[id]?.Properties as {
    Environment: { Variables: Record<string, unknown> };
  };
  return props.Environment.Variables;
};

/** Deploy-time values (Ref, GetAtt, Join) stand in as a URL, which every string field also accepts. */
const resolved = (variables: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(variables).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : 'https://resolved.example/token',
    ]),
  );

describe('TokenRefreshService', () => {
  it('has the four functions, each built from its real handler entry file', () => {
    t.resourceCountIs('AWS::Lambda::Function', FUNCTION_NAMES.length);
    for (const name of FUNCTION_NAMES) {
      expect(functions[name].entry).toBe(join(PROJECT_ROOT, 'functions', name, 'handler.ts'));
      expect(existsSync(functions[name].entry), name).toBe(true);
      expect(readFileSync(functions[name].entry, 'utf8')).toMatch(/export const handler\b/);
    }
  });

  it('runs every function on Node.js 22 / arm64 without X-Ray, with source maps and a retained log group', () => {
    for (const fn of Object.values(resourcesOf(t, 'AWS::Lambda::Function'))) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogGroup: expect.anything() },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
    }
    for (const group of Object.values(resourcesOf(t, 'AWS::Logs::LogGroup'))) {
      expect((group.Properties as { RetentionInDays?: number }).RetentionInDays).toBe(30);
    }
  });

  it('sets every variable the configuration schema requires, and the configuration loads', () => {
    const required = Object.entries(configSchema.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([field]) => ENV[field as keyof typeof ENV]);
    expect(required.length).toBeGreaterThan(0);
    for (const name of FUNCTION_NAMES) {
      const variables = variablesOf(name);
      for (const variable of required) expect(variables, `${name} ${variable}`).toHaveProperty(variable);
      expect(() => loadConfig(resolved(variables)), name).not.toThrow();
    }
  });

  it('sets exactly the variables the exported mapping lists for each function', () => {
    const ours = new Set<string>(Object.values(ENV));
    for (const name of FUNCTION_NAMES) {
      const configured = Object.keys(variablesOf(name)).filter((v) => ours.has(v));
      const always = FUNCTION_ENVIRONMENT[name].map((field) => ENV[field]);
      const optional = OPTIONAL_FUNCTION_ENVIRONMENT[name].map((field): string => ENV[field]);
      expect(configured, name).toEqual(expect.arrayContaining(always));
      expect(
        configured.filter((v) => !always.includes(v as (typeof always)[number])),
        name,
      ).toEqual(optional.filter((v) => configured.includes(v)));
    }
    // The optional ones appear when their prop is given (webhookUrl here).
    expect(variablesOf('webhook-sender')).toHaveProperty(ENV.webhookUrl, 'https://app.example/hooks');
  });

  it('never falls back to local stand-ins on AWS: KMS everywhere, no secrets or endpoints in variables', () => {
    for (const name of FUNCTION_NAMES) {
      const variables = variablesOf(name);
      expect(variables).toHaveProperty(ENV.kmsKeyId);
      for (const local of [
        'masterKey',
        'dataDir',
        'webhookSecret',
        'dynamodbEndpoint',
        'sqsEndpoint',
        'allowPrivateUrls',
      ] as const) {
        expect(variables, `${name} ${ENV[local]}`).not.toHaveProperty(ENV[local]);
      }
    }
    expect(variablesOf('webhook-sender')).toHaveProperty(ENV.webhookSecretArn);
  });

  it('gives the api its public URL and the same service name and due shards to all functions', () => {
    expect(variablesOf('api')[ENV.publicUrl]).toEqual({
      'Fn::GetAtt': [
        stack.getLogicalId(stack.service.api.httpApi.node.defaultChild as CfnFunction),
        'ApiEndpoint',
      ],
    });
    for (const name of FUNCTION_NAMES) {
      expect(variablesOf(name)).toMatchObject({
        [ENV.serviceName]: 'oauth-refresher',
        [ENV.metricsNamespace]: 'OAuthRefresher',
        [ENV.dueShards]: '16',
      });
    }
  });

  it('has no dependency cycle, although PUBLIC_URL of the api function names its own API', () => {
    const resources = t.toJSON().Resources as Record<string, { DependsOn?: string | string[] }>;
    const references = (value: unknown, found = new Set<string>()): Set<string> => {
      if (Array.isArray(value)) for (const v of value) references(v, found);
      else if (value !== null && typeof value === 'object') {
        for (const [k, v] of Object.entries(value)) {
          if (k === 'Ref' && typeof v === 'string' && v in resources) found.add(v);
          else if (k === 'Fn::GetAtt' && Array.isArray(v) && String(v[0]) in resources)
            found.add(String(v[0]));
          else references(v, found);
        }
      }
      return found;
    };
    const edges = new Map(Object.entries(resources).map(([id, body]) => [id, references(body)]));
    for (const [id, body] of Object.entries(resources)) {
      for (const d of [body.DependsOn ?? []].flat()) edges.get(id)?.add(d);
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (id: string, path: string[]): void => {
      if (state.get(id) === 'done') return;
      if (state.get(id) === 'visiting') throw new Error(`cycle: ${[...path, id].join(' -> ')}`);
      state.set(id, 'visiting');
      for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
      state.set(id, 'done');
    };
    expect(() => {
      for (const id of edges.keys()) visit(id, []);
    }).not.toThrow();
  });

  it('passes the AwsSolutions and Serverless packs with every finding acknowledged for a reason', () => {
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{
        pluginName: string;
        violations: unknown[];
        suppressedViolations?: Array<{ ruleName: string; reason?: string }>;
      }>;
    };
    const packs = report.pluginReports.filter((r) => ['AwsSolutions', 'Serverless'].includes(r.pluginName));
    expect(packs.map((r) => r.pluginName).sort()).toEqual(['AwsSolutions', 'Serverless']);
    for (const pack of report.pluginReports) expect(pack.violations, pack.pluginName).toEqual([]);
    const acknowledged = packs.flatMap((r) => r.suppressedViolations ?? []);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const finding of acknowledged) {
      expect(finding.reason?.length ?? 0, finding.ruleName).toBeGreaterThan(40);
    }
  });

  it('outputs the API URL, the callback URL and how to create the first admin key', () => {
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown; Description: string }>;
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'ApiUrl',
        'OAuthCallbackUrl',
        'TableName',
        'TableKeyArn',
        'EnvelopeKeyArn',
        'CreateFirstAdminKey',
        'WebhookSecretArn',
        'AlarmTopicArn',
        'DashboardUrl',
      ]),
    );
    expect(JSON.stringify(outputs.CreateFirstAdminKey?.Value)).toContain(
      'npm run keys -- create --name admin --scope admin',
    );
    expect(JSON.stringify(outputs.OAuthCallbackUrl?.Value)).toContain('/v1/oauth/callback');
  });
});
