import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { z } from 'zod';
import { PROJECT_ROOT } from './functions';
import { LOG_LEVELS } from './service';
import type { TokenRefreshStackProps } from './stack';

/**
 * Deploy settings live in one committed file per stage, `infra/config/<stage>.json`, chosen with
 * `cdk deploy -c stage=<stage>` (`dev` when not given). The file is validated before anything is
 * built: unknown keys and bad values fail the synth with the file and the key named, so a deploy
 * can never silently drop a setting. Stack, service (metric dimension) and dashboard names derive
 * from the stage, so two stages in one account never share metrics or alarms. infra/DEPLOY.md
 * documents every key.
 */
export const CONFIG_DIR = join(PROJECT_ROOT, 'infra', 'config');
export const DEFAULT_STAGE = 'dev';

const ARN_PARTITION = 'arn:aws[a-z-]*';
const arn = (service: string, resource: string) =>
  z.string().regex(new RegExp(`^${ARN_PARTITION}:${service}:${resource}$`), `expected a ${service} ARN`);
const kmsKeyArn = arn('kms', '[a-z0-9-]+:\\d{12}:key/[0-9a-f-]{36}');
const acmArn = arn('acm', '[a-z0-9-]+:\\d{12}:certificate/[0-9a-f-]{36}');
const domainName = z
  .string()
  .regex(/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, 'expected a lower-case DNS name');
const retentionDays = (Object.values(RetentionDays).filter((v) => typeof v === 'number') as number[]).sort(
  (a, b) => a - b,
);
const concurrency = z.int().min(2).max(1000);

export const stageConfigSchema = z.strictObject({
  /** Free text shown nowhere but in the file. */
  description: z.string().optional(),
  /** The account and region this stage deploys to; a deploy with other credentials fails. */
  account: z
    .string()
    .regex(/^\d{12}$/, 'expected a 12-digit account id')
    .optional(),
  region: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected a region such as eu-west-1')
    .optional(),
  /** Default `OAuthRefresher-<Stage>`; set it to keep the name of an existing stack. */
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,39}$/, 'letters, digits and hyphens, at most 40')
    .optional(),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  alarmEmail: z.email().optional(),
  logLevel: z.enum(LOG_LEVELS).default('INFO'),
  logRetentionDays: z
    .int()
    .refine((d) => retentionDays.includes(d), `one of ${retentionDays.join(', ')}`)
    .default(30),
  data: z
    .strictObject({
      /** Keep the table, both keys and the webhook secret when the stack is deleted. */
      retain: z.boolean().default(true),
      deletionProtection: z.boolean().default(true),
      provisionedMaxWriteCapacity: z.int().min(1).max(40_000).optional(),
      /** IAM principals that manage (never use) the envelope key, besides CDK's deploy role. */
      keyAdministratorArns: z.array(arn('iam', ':\\d{12}:(role|user)/[\\w+=,.@/-]+')).default([]),
      /** Existing resources to use instead of creating them (restore, redeploy after destroy). */
      adopt: z
        .strictObject({
          tableName: z
            .string()
            .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name')
            .optional(),
          tableKeyArn: kmsKeyArn.optional(),
          envelopeKeyArn: kmsKeyArn.optional(),
          /** The complete ARN of a retained webhook signing secret (receivers keep their secret). */
          webhookSecretArn: arn(
            'secretsmanager',
            '[a-z0-9-]+:\\d{12}:secret:[\\w/+=.@-]+-[A-Za-z0-9]{6}',
          ).optional(),
        })
        .refine((a) => a.tableKeyArn === undefined || a.tableName !== undefined, {
          message: 'tableKeyArn goes with tableName',
        })
        .optional(),
    })
    .prefault({}),
  refresh: z
    .strictObject({
      scheduleRateMinutes: z.int().min(1).max(15).default(1),
      maxConcurrency: concurrency.default(10),
      /** Reserved concurrency of the refresher: at least maxConcurrency. */
      reservedConcurrency: z.int().min(2).max(1000).optional(),
    })
    .prefault({}),
  webhooks: z.strictObject({ maxConcurrency: concurrency.default(5) }).prefault({}),
  api: z
    .strictObject({
      throttle: z
        .strictObject({ rateLimit: z.number().positive(), burstLimit: z.int().positive() })
        .default({ rateLimit: 50, burstLimit: 100 }),
      /** The token route's own throttle; every other route shares `throttle`. */
      tokenRouteThrottle: z
        .strictObject({ rateLimit: z.number().positive(), burstLimit: z.int().positive() })
        .optional(),
      reservedConcurrency: z.int().min(1).max(1000).optional(),
      adminApiKeySha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'expected a hex SHA-256 digest')
        .optional(),
      /** Alarm when the API's p99 latency stays above this for 15 minutes. */
      latencyP99AlarmMs: z.int().min(100).max(30_000).default(5_000),
      /** The SigV4 twin of the API for in-account callers; `scope` limits its routes. */
      iamApi: z.strictObject({ scope: z.enum(['tokens:read', 'admin']).default('tokens:read') }).optional(),
      customDomain: z
        .strictObject({
          domainName,
          /** ACM certificate in the stack's region covering domainName (or waf.originDomainName). */
          certificateArn: acmArn,
          hostedZoneId: z
            .string()
            .regex(/^Z[A-Z0-9]{1,31}$/, 'expected a Route 53 hosted zone id')
            .optional(),
          hostedZoneName: domainName.optional(),
        })
        .refine((d) => (d.hostedZoneId === undefined) === (d.hostedZoneName === undefined), {
          message: 'hostedZoneId and hostedZoneName go together',
        })
        .optional(),
      waf: z
        .strictObject({
          /** A CLOUDFRONT-scope web ACL (us-east-1); created in the stack when it deploys to us-east-1. */
          webAclArn: arn('wafv2', 'us-east-1:\\d{12}:global/webacl/[\\w-]+/[0-9a-f-]{36}').optional(),
          /** ACM certificate in us-east-1 covering customDomain.domainName (CloudFront's). */
          cloudFrontCertificateArn: acmArn.refine((a) => a.split(':')[3] === 'us-east-1', {
            message: 'CloudFront certificates live in us-east-1',
          }),
          /** The API's own regional name behind CloudFront. */
          originDomainName: domainName,
          /** Requests per 5 minutes per IP before the web ACL blocks it (created web ACL only). */
          rateLimitPer5Minutes: z.int().min(10).max(2_000_000_000).default(1_000),
        })
        .optional(),
    })
    .prefault({})
    .refine((a) => a.waf === undefined || a.customDomain !== undefined, {
      message: 'waf needs customDomain (the public name CloudFront serves)',
      path: ['waf'],
    }),
});

export type StageConfig = z.infer<typeof stageConfigSchema>;

/** A deploy setting that is missing, unknown or invalid. The message names the file and the key. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Context keys of the former `-c key=value` settings: now keys of the stage file. */
const FORMER_CONTEXT_KEYS = [
  'stackName',
  'webhookUrl',
  'alarmEmail',
  'scheduleRateMinutes',
  'logRetentionDays',
  'deletionProtection',
  'retainData',
  'provisionedMaxWriteCapacity',
  'publicUrl',
  'adminApiKeySha256',
  'refreshMaxConcurrency',
  'webhookMaxConcurrency',
  'serviceName',
  'metricsNamespace',
  'logLevel',
];

/** The stage named by `-c stage=<name>` (default `dev`). @throws ConfigError for a former `-c` setting */
export function stageFromContext(node: Node): string {
  const stray = FORMER_CONTEXT_KEYS.filter((key) => node.tryGetContext(key) !== undefined);
  if (stray.length > 0) {
    throw new ConfigError(
      `-c ${stray.join(', -c ')}: deploy settings live in infra/config/<stage>.json now (see infra/DEPLOY.md)`,
    );
  }
  const stage: unknown = node.tryGetContext('stage') ?? DEFAULT_STAGE;
  if (typeof stage !== 'string' || !/^[a-z][a-z0-9-]{0,19}$/.test(stage)) {
    throw new ConfigError('stage: lower-case letters, digits and hyphens, at most 20 (e.g. -c stage=prod)');
  }
  return stage;
}

/** Validates a parsed config file. @throws ConfigError naming every bad or unknown key */
export function parseStageConfig(value: unknown, file: string): StageConfig {
  const result = stageConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const at = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => `unknown key "${at === '' ? key : `${at}.${key}`}"`).join('; ');
    }
    return `${at === '' ? '(top level)' : at}: ${issue.message}`;
  });
  return fail(`${file}: ${problems.join('; ')}`);
}

/** Reads and validates `infra/config/<stage>.json`. @throws ConfigError */
export function loadStageConfig(stage: string, dir = CONFIG_DIR): StageConfig {
  const file = join(dir, `${stage}.json`);
  if (!existsSync(file)) {
    const stages = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length));
    return fail(`no config for stage "${stage}": create ${file} (stages: ${stages.join(', ')})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return fail(`${file}: not valid JSON (${error instanceof Error ? error.message : 'unreadable'})`);
  }
  return parseStageConfig(parsed, `infra/config/${stage}.json`);
}

function fail(message: string): never {
  throw new ConfigError(message);
}

/** `prod` → `Prod`, `eu-prod` → `EuProd`. */
const pascal = (s: string) => s.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

/** Names derived from the stage: stack, service (metric dimension) and dashboard follow the stack. */
export function stageNames(stage: string, config: Pick<StageConfig, 'stackName'>) {
  const stackName = config.stackName ?? `OAuthRefresher-${pascal(stage)}`;
  const serviceName = stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/-+/g, '-');
  return { stackName, serviceName, dashboardName: stackName };
}

/** The stack's name and props for a stage. */
export function stackPropsFromConfig(
  stage: string,
  config: StageConfig,
): { stackName: string; props: TokenRefreshStackProps } {
  const { stackName, serviceName, dashboardName } = stageNames(stage, config);
  const { data, refresh, webhooks, api } = config;
  const env =
    config.account === undefined && config.region === undefined
      ? {}
      : {
          env: {
            ...(config.account === undefined ? {} : { account: config.account }),
            ...(config.region === undefined ? {} : { region: config.region }),
          },
        };
  const opt = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
  const removalPolicy = data.retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  return {
    stackName,
    props: {
      ...env,
      description: `Self-hosted OAuth token refresh service (stage ${stage})`,
      stage,
      service: {
        serviceName,
        logLevel: config.logLevel,
        logRetention: config.logRetentionDays as RetentionDays,
        store: {
          deletionProtection: data.deletionProtection,
          removalPolicy,
          keyAdministratorArns: data.keyAdministratorArns,
          ...opt(
            'provisioned',
            data.provisionedMaxWriteCapacity === undefined
              ? undefined
              : { maxWriteCapacity: data.provisionedMaxWriteCapacity },
          ),
          ...opt(
            'adopt',
            data.adopt === undefined
              ? undefined
              : {
                  ...opt('tableName', data.adopt.tableName),
                  ...opt('tableKeyArn', data.adopt.tableKeyArn),
                  ...opt('envelopeKeyArn', data.adopt.envelopeKeyArn),
                },
          ),
        },
        refresh: {
          scheduleRate: Duration.minutes(refresh.scheduleRateMinutes),
          maxConcurrency: refresh.maxConcurrency,
          ...opt('reservedConcurrency', refresh.reservedConcurrency),
        },
        webhooks: {
          maxConcurrency: webhooks.maxConcurrency,
          ...opt('webhookUrl', config.webhookUrl),
          ...opt('webhookSecretArn', data.adopt?.webhookSecretArn),
        },
        api: {
          throttle: api.throttle,
          iamApi: api.iamApi === undefined ? false : { scope: api.iamApi.scope },
          ...opt('reservedConcurrency', api.reservedConcurrency),
          ...opt('tokenRouteThrottle', api.tokenRouteThrottle),
          ...opt('adminApiKeySha256', api.adminApiKeySha256),
          ...opt('customDomain', api.customDomain),
          ...opt(
            'waf',
            api.waf === undefined
              ? undefined
              : {
                  cloudFrontCertificateArn: api.waf.cloudFrontCertificateArn,
                  originDomainName: api.waf.originDomainName,
                  rateLimitPer5Minutes: api.waf.rateLimitPer5Minutes,
                  ...opt('webAclArn', api.waf.webAclArn),
                },
          ),
        },
        monitoring: {
          dashboardName,
          apiLatencyP99Threshold: Duration.millis(api.latencyP99AlarmMs),
          ...opt('alarmEmail', config.alarmEmail),
        },
      },
    },
  };
}
