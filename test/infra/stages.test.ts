import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadStageConfig,
  parseStageConfig,
  stackPropsFromConfig,
  stageFromContext,
} from '../../infra/config';
import { fixedMonthlyCost, totalUsd } from '../../infra/fixed-cost';
import { PROJECT_ROOT } from '../../infra/functions';
import { PINNED_LOGICAL_IDS } from '../../infra/stack';
import { TOKEN_ROUTE, TOKENS_READ_ROUTES } from '../../infra/token-api';
import { KEY_ADMIN_ACTIONS } from '../../infra/token-store';
import { actionsOf, resourcesOf, synthService, testApp } from './support';

type Json = Record<string, unknown>;

/** Synthesizes a committed stage with both cdk-nag packs (a finding fails the synth). */
function synthStage(stage: string) {
  const { stackName, props } = stackPropsFromConfig(stage, loadStageConfig(stage));
  const { stack, t } = synthService({ stackName, props, nag: true });
  return { stack, t, stackName, json: t.toJSON() as { Resources: Record<string, Json>; Outputs: Json } };
}

const dev = synthStage('dev');
const prod = synthStage('example-prod');

/** The logical ids of the functions' roles that may use the envelope key. */
function roleId(s: typeof dev, name: 'api' | 'refresher'): string {
  const fn = name === 'api' ? s.stack.service.api.function : s.stack.service.refresh.refresher;
  return s.stack.getLogicalId(fn.serviceRole.node.defaultChild as never);
}

const principalsOf = (statement: Json): unknown[] => {
  const aws = (statement.Principal as { AWS?: unknown } | undefined)?.AWS;
  return Array.isArray(aws) ? aws : [aws];
};

describe('stage config (infra/config/<stage>.json)', () => {
  it('derives stack, service and dashboard names from the stage', () => {
    expect(dev.stackName).toBe('OAuthRefresher-Dev');
    const variables = Object.values(resourcesOf(dev.t, 'AWS::Lambda::Function')).map(
      (fn) => (fn.Properties as { Environment: { Variables: Json } }).Environment.Variables,
    );
    for (const v of variables) expect(v.POWERTOOLS_SERVICE_NAME).toBe('oauth-refresher-dev');
    const dashboard = Object.values(resourcesOf(dev.t, 'AWS::CloudWatch::Dashboard'))[0]?.Properties as Json;
    expect(dashboard.DashboardName).toBe('OAuthRefresher-Dev');
    expect(prod.stackName).toBe('OAuthRefresher-ExampleProd');
  });

  it('rejects unknown keys, naming each with its path and the file', () => {
    const parse = (value: unknown) => () => parseStageConfig(value, 'infra/config/x.json');
    expect(parse({ webhookURL: 'https://a.example' })).toThrow(ConfigError);
    expect(parse({ webhookURL: 'https://a.example' })).toThrow(
      /infra\/config\/x\.json: unknown key "webhookURL"/,
    );
    expect(parse({ api: { throttle: { rateLimit: 1, burstLimit: 1, burst: 2 } } })).toThrow(
      /unknown key "api\.throttle\.burst"/,
    );
    expect(parse({ refresh: { maxConcurrency: 1 } })).toThrow(/refresh\.maxConcurrency: /);
    expect(parse({ alarmEmail: 'not-an-address' })).toThrow(/alarmEmail: /);
    expect(parse({ api: { waf: { originDomainName: 'o.example.com' } } })).toThrow(
      /cloudFrontCertificateArn/,
    );
  });

  it('fails the synth on an unknown key in a stage file, and on former -c settings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oauth-refresher-config-'));
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ alarmMail: 'ops@example.com' }));
    expect(() => loadStageConfig('typo', dir)).toThrow(/typo\.json: unknown key "alarmMail"/);
    expect(() => loadStageConfig('missing', dir)).toThrow(/no config for stage "missing".*stages: typo/);
    expect(() => stageFromContext(testApp({ context: { webhookUrl: 'https://x.example' } }).node)).toThrow(
      /-c webhookUrl: deploy settings live in infra\/config/,
    );
    expect(stageFromContext(testApp({ context: { stage: 'prod' } }).node)).toBe('prod');
  });

  it('takes reserved concurrency, the mapping concurrency and the stage throttle from the config', () => {
    const config = loadStageConfig('example-prod');
    const fn = (s: typeof dev, name: 'api' | 'refresher') => {
      const f = name === 'api' ? s.stack.service.api.function : s.stack.service.refresh.refresher;
      return s.json.Resources[s.stack.getLogicalId(f.node.defaultChild as never)]?.Properties as Json;
    };
    expect(fn(prod, 'api').ReservedConcurrentExecutions).toBe(config.api.reservedConcurrency);
    expect(fn(prod, 'refresher').ReservedConcurrentExecutions).toBe(config.refresh.reservedConcurrency);
    expect(fn(dev, 'api').ReservedConcurrentExecutions).toBeUndefined();
    const mappings = Object.values(resourcesOf(prod.t, 'AWS::Lambda::EventSourceMapping')).map(
      (m) =>
        (m.Properties as { ScalingConfig: { MaximumConcurrency: number } }).ScalingConfig.MaximumConcurrency,
    );
    expect(mappings).toContain(config.refresh.maxConcurrency);
    const stages = Object.values(resourcesOf(prod.t, 'AWS::ApiGatewayV2::Stage')).map(
      (s) => (s.Properties as { DefaultRouteSettings: Json }).DefaultRouteSettings,
    );
    expect(stages.length).toBeGreaterThan(0);
    const keyStage = Object.values(resourcesOf(prod.t, 'AWS::ApiGatewayV2::Stage')).find(
      (st) => (st.Properties as Json).RouteSettings !== undefined,
    )?.Properties as { RouteSettings: Json };
    expect(keyStage.RouteSettings).toEqual({
      [`GET ${TOKEN_ROUTE}`]: {
        ThrottlingRateLimit: config.api.tokenRouteThrottle?.rateLimit,
        ThrottlingBurstLimit: config.api.tokenRouteThrottle?.burstLimit,
      },
    });
    for (const settings of stages) {
      expect(settings).toMatchObject({
        ThrottlingRateLimit: config.api.throttle.rateLimit,
        ThrottlingBurstLimit: config.api.throttle.burstLimit,
      });
    }
  });

  it('pins the logical ids of the table, both keys and the webhook secret', () => {
    expect(dev.json.Resources[PINNED_LOGICAL_IDS.table]?.Type).toBe('AWS::DynamoDB::Table');
    expect(dev.json.Resources[PINNED_LOGICAL_IDS.tableKey]?.Type).toBe('AWS::KMS::Key');
    expect(dev.json.Resources[PINNED_LOGICAL_IDS.envelopeKey]?.Type).toBe('AWS::KMS::Key');
    expect(dev.json.Resources[PINNED_LOGICAL_IDS.webhookSecret]?.Type).toBe('AWS::SecretsManager::Secret');
    expect(PINNED_LOGICAL_IDS).toEqual({
      table: 'ServiceStoreTableB7D877FB',
      tableKey: 'ServiceStoreTableKey9D0BFAA1',
      envelopeKey: 'ServiceStoreEnvelopeKey8D888DE6',
      webhookSecret: 'ServiceWebhooksSigningSecretFA859DF0',
    });
  });

  it('keeps the webhook secret with the data (the store removal policy)', () => {
    const secret = dev.json.Resources[PINNED_LOGICAL_IDS.webhookSecret] as Json;
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(secret.UpdateReplacePolicy).toBe('Retain');
  });

  it('attaches no Lambda layer (no Parameters and Secrets extension) and no X-Ray tracing', () => {
    for (const s of [dev, prod]) {
      for (const fn of Object.values(resourcesOf(s.t, 'AWS::Lambda::Function'))) {
        const props = fn.Properties as Json;
        expect(props.Layers).toBeUndefined();
        expect((props.TracingConfig as { Mode?: string } | undefined)?.Mode ?? 'PassThrough').toBe(
          'PassThrough',
        );
      }
    }
  });
});

describe('envelope key policy', () => {
  const policyOf = (s: typeof dev): Json[] => {
    const key = s.json.Resources[PINNED_LOGICAL_IDS.envelopeKey] as {
      Properties: { KeyPolicy: { Statement: Json[] } };
    };
    return key.Properties.KeyPolicy.Statement;
  };

  it('grants Decrypt and GenerateDataKey only to the API and refresher roles, with the encryption context', () => {
    const statements = policyOf(dev);
    const users = statements.filter((s) => actionsOf(s).some((a) => a === 'kms:Decrypt' || a === 'kms:*'));
    // Each names exactly one role through aws:PrincipalArn (the principal is the account).
    expect(users.map((s) => (s.Condition as { ArnEquals: Json }).ArnEquals['aws:PrincipalArn'])).toEqual([
      { 'Fn::GetAtt': [roleId(dev, 'refresher'), 'Arn'] },
      { 'Fn::GetAtt': [roleId(dev, 'api'), 'Arn'] },
    ]);
    for (const s of users) {
      expect(actionsOf(s).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(s.Condition).toMatchObject({
        StringEquals: { 'kms:EncryptionContext:service': expect.any(String) },
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': expect.any(Array) },
      });
    }
  });

  it('never delegates the key to IAM: every account-root statement is narrowed to one role', () => {
    for (const s of policyOf(dev)) {
      expect(actionsOf(s).every((a) => !a.endsWith('*'))).toBe(true);
      if (JSON.stringify(principalsOf(s)).includes(':root')) {
        expect(
          (s.Condition as { ArnEquals?: Json } | undefined)?.ArnEquals?.['aws:PrincipalArn'],
        ).toBeDefined();
      }
    }
    expect(JSON.stringify(policyOf(dev))).not.toContain('kms:*');
  });

  it('lets key administrators (CDK deploy role + configured) manage but not use the key', () => {
    const admin = policyOf(prod).find((s) => s.Sid === 'KeyAdministration') as Json;
    expect(actionsOf(admin)).toEqual([...KEY_ADMIN_ACTIONS]);
    for (const forbidden of [
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:ReEncryptFrom',
      'kms:CreateGrant',
    ]) {
      expect(actionsOf(admin)).not.toContain(forbidden);
    }
    expect(JSON.stringify(principalsOf(admin))).toContain('cfn-exec-role');
    expect(principalsOf(admin)).toContain('arn:aws:iam::123456789012:role/SecurityKeyAdmins');
  });
});

describe('production stage: edge, adoption, IAM API, alarms', () => {
  const config = loadStageConfig('example-prod');

  it('adopts a retained envelope key and webhook secret, and outputs the key policy to put on it', () => {
    const config = parseStageConfig(
      {
        data: {
          adopt: {
            envelopeKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
            webhookSecretArn:
              'arn:aws:secretsmanager:eu-west-1:123456789012:secret:ServiceWebhooksSigning-AbC123',
          },
        },
      },
      'adopt.json',
    );
    const { stackName, props } = stackPropsFromConfig('restore', config);
    const { stack, t } = synthService({ stackName, props });
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    t.resourceCountIs('AWS::KMS::Key', 1);
    const outputs = t.toJSON().Outputs as Record<string, { Value: unknown }>;
    const policy = JSON.stringify(outputs.AdoptedEnvelopeKeyPolicy?.Value);
    expect(policy).toContain('kms:Decrypt');
    expect(policy).toContain(
      stack.getLogicalId(stack.service.api.function.serviceRole.node.defaultChild as never),
    );
    expect(() =>
      parseStageConfig({ data: { adopt: { tableKeyArn: config.data.adopt?.envelopeKeyArn } } }, 'x'),
    ).toThrow(/tableKeyArn goes with tableName/);
  });

  it('adopts the configured table instead of creating one', () => {
    prod.t.resourceCountIs('AWS::DynamoDB::Table', 0);
    expect(JSON.stringify(prod.json.Resources)).toContain(config.data.adopt?.tableName);
  });

  it('serves the API on the custom domain with the execute-api endpoint disabled, behind CloudFront and WAF', () => {
    const apis = Object.values(resourcesOf(prod.t, 'AWS::ApiGatewayV2::Api')).map(
      (a) => a.Properties as Json,
    );
    const keyApi = apis.find((a) => String(a.Description).includes('API keys')) as Json;
    expect(keyApi.DisableExecuteApiEndpoint).toBe(true);
    prod.t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', {
      DomainName: config.api.waf?.originDomainName,
    });
    prod.t.resourceCountIs('AWS::WAFv2::WebACL', 1);
    prod.t.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT' });
    prod.t.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: { Aliases: [config.api.customDomain?.domainName] },
    });
    const distribution = Object.values(resourcesOf(prod.t, 'AWS::CloudFront::Distribution'))[0]
      ?.Properties as {
      DistributionConfig: Json;
    };
    expect(distribution.DistributionConfig.WebACLId).toBeDefined();
    const api = Object.values(resourcesOf(prod.t, 'AWS::Lambda::Function')).find((f) =>
      String((f.Properties as Json).Description).startsWith('HTTP API'),
    )?.Properties as { Environment: { Variables: Json } };
    expect(api.Environment.Variables.PUBLIC_URL).toBe(`https://${config.api.customDomain?.domainName}`);
  });

  it('has no IAM API by default; when on, only the tokens:read routes, each with IAM authorization', () => {
    dev.t.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    const routes = Object.values(resourcesOf(prod.t, 'AWS::ApiGatewayV2::Route')).map(
      (r) => r.Properties as Json,
    );
    const iam = routes.filter((r) => r.AuthorizationType === 'AWS_IAM').map((r) => r.RouteKey);
    expect(iam.sort()).toEqual(TOKENS_READ_ROUTES.map((p) => `GET ${p}`).sort());
    const publicRoutes = routes
      .filter((r) => r.AuthorizationType !== 'AWS_IAM')
      .map((r) => String(r.RouteKey));
    expect(publicRoutes.sort()).toEqual(['$default', `GET ${TOKEN_ROUTE}`]);
  });

  it('alarms on DLQ arrivals as well as depth, API p99 latency and DynamoDB throttling', () => {
    const alarms = Object.keys(resourcesOf(dev.t, 'AWS::CloudWatch::Alarm'));
    for (const name of [
      'RefreshDlqArrivals',
      'WebhookDlqArrivals',
      'ScheduleDlqArrivals',
      'RefreshDlq',
      'Api5xx',
      'ApiLatencyP99',
      'DynamoDbThrottles',
    ]) {
      expect(
        alarms.some((id) => id.startsWith(`ServiceMonitoring${name}`)),
        name,
      ).toBe(true);
    }
    const byId = (t: Template, prefix: string) =>
      Object.entries(resourcesOf(t, 'AWS::CloudWatch::Alarm')).find(([id]) => id.startsWith(prefix))?.[1]
        ?.Properties as Json;
    // Arrivals: a rise in depth (redrive policies) or a direct send (the schedule DLQ), per minute.
    const arrivals = JSON.stringify(byId(dev.t, 'ServiceMonitoringRefreshDlqArrivals'));
    expect(arrivals).toContain('DIFF(depth)');
    expect(arrivals).toContain('NumberOfMessagesSent');
    expect(arrivals).toContain('"Period":60');
    expect(byId(prod.t, 'ServiceMonitoringApiLatencyP99').Threshold).toBe(config.api.latencyP99AlarmMs);
    expect(byId(dev.t, 'ServiceMonitoringApiLatencyP99').Threshold).toBe(5000);
  });
});

describe('fixed monthly cost (README, "Deploy")', () => {
  it('lists each fixed item of the template: keys, secret, alarms, dashboard, scheduler, polls', () => {
    const items = fixedMonthlyCost(dev.json as never);
    const names = items.map((i) => i.item).join('\n');
    for (const item of [
      'KMS',
      'Secrets Manager',
      'CloudWatch alarms',
      'dashboard',
      'Scheduler ticks',
      'SQS idle',
    ]) {
      expect(names).toContain(item);
    }
    expect(items.find((i) => i.item.startsWith('KMS'))?.usd).toBe(2);
    expect(totalUsd(items)).toBeGreaterThan(5);
    const prodItems = fixedMonthlyCost(prod.json as never);
    expect(prodItems.map((i) => i.item)).toContain('AWS WAF web ACL');
    // The adopted table's keys are not in the template: one key fewer than dev.
    expect(prodItems.find((i) => i.item.startsWith('KMS'))?.usd).toBe(1);
  });
});

describe('infra/DEPLOY.md', () => {
  it('exists and has every section the infra code, the dashboard and the README point to', () => {
    const deploy = readFileSync(join(PROJECT_ROOT, 'infra', 'DEPLOY.md'), 'utf8');
    const headings = new Set([...deploy.matchAll(/^#{2,3} (.+)$/gm)].map((m) => m[1]));
    const sources = readdirSync(join(PROJECT_ROOT, 'infra'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(PROJECT_ROOT, 'infra', f), 'utf8'));
    const cited = sources.flatMap((text) =>
      [...text.matchAll(/infra\/DEPLOY\.md,? (?:section )?\(?"([^"]+)"/g)].map((m) => m[1]),
    );
    expect(cited.length).toBeGreaterThanOrEqual(4);
    for (const section of cited) expect(headings, section).toContain(section);
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const anchors = [...readme.matchAll(/infra\/DEPLOY\.md#([a-z-]+)/g)].map((m) => m[1]);
    const slugs = [...headings].map((h) =>
      String(h)
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    );
    for (const anchor of anchors) expect(slugs, anchor).toContain(anchor);
  });
});
