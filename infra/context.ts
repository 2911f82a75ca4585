import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { LOG_LEVELS, type ServiceLogLevel } from './service';
import type { TokenRefreshStackProps } from './stack';

/**
 * The context values `cdk deploy -c key=value` (or cdk.json's "context") understands. Values from
 * the command line arrive as strings, from cdk.json as JSON; both are accepted.
 */
export const CONTEXT_KEYS = {
  stackName: 'Stack name. Default OAuthRefresher',
  webhookUrl:
    'Default webhook destination (http/https). Default: none (events without an integration webhook_url are dropped)',
  alarmEmail: 'E-mail subscribed to the alarm topic. Default: none',
  scheduleRateMinutes: 'Minutes between due-index scans (1–15). Default 1',
  logRetentionDays:
    'Retention of all logs, a CloudWatch retention value (1, 3, 5, 7, 14, 30, 60, 90, …). Default 30',
  deletionProtection: 'DynamoDB deletion protection. Default true',
  retainData: 'Keep the table and keys when the stack is deleted. Default true',
  provisionedMaxWriteCapacity:
    'Switch the table to provisioned capacity with auto scaling (70 %) up to this many write (and read) units. Default: on-demand',
  publicUrl: 'Public base URL when a custom domain fronts the API. Default: the execute-api URL',
  adminApiKeySha256: 'Hex SHA-256 of a bootstrap admin key. Default: none (use npm run keys)',
  refreshMaxConcurrency: 'Max concurrent refresher invocations (2–1000). Default 10',
  webhookMaxConcurrency: 'Max concurrent webhook sender invocations (2–1000). Default 5',
  serviceName: 'POWERTOOLS_SERVICE_NAME and metric dimension. Default oauth-refresher',
  metricsNamespace: 'CloudWatch namespace of the EMF metrics. Default OAuthRefresher',
  logLevel: 'DEBUG | INFO | WARN | ERROR. Default INFO',
} as const;

export type ContextKey = keyof typeof CONTEXT_KEYS;

/** The stack's name and props from the app's context. @throws Error naming every bad value */
export function stackPropsFromContext(node: Node): { stackName: string; props: TokenRefreshStackProps } {
  const problems: string[] = [];
  const raw = (key: ContextKey): unknown => {
    const value: unknown = node.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  };
  const str = (key: ContextKey): string | undefined => {
    const value = raw(key);
    if (value === undefined || typeof value === 'string') return value;
    problems.push(`${key}: expected a string`);
    return undefined;
  };
  const int = (key: ContextKey): number | undefined => {
    const value = raw(key);
    if (value === undefined) return undefined;
    const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
    if (Number.isInteger(n)) return n;
    problems.push(`${key}: expected an integer`);
    return undefined;
  };
  const bool = (key: ContextKey): boolean | undefined => {
    const value = raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    problems.push(`${key}: expected true or false`);
    return undefined;
  };

  const rate = int('scheduleRateMinutes');
  const retentionDays = int('logRetentionDays');
  let logRetention: RetentionDays | undefined;
  if (retentionDays !== undefined) {
    if ((Object.values(RetentionDays) as unknown[]).includes(retentionDays)) {
      logRetention = retentionDays as RetentionDays;
    } else {
      problems.push(`logRetentionDays: ${retentionDays} is not a CloudWatch Logs retention`);
    }
  }
  const logLevel = str('logLevel')?.toUpperCase();
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`logLevel: one of ${LOG_LEVELS.join(', ')}`);
  }
  const retain = bool('retainData');
  const values = {
    stackName: str('stackName') ?? 'OAuthRefresher',
    webhookUrl: str('webhookUrl'),
    alarmEmail: str('alarmEmail'),
    deletionProtection: bool('deletionProtection'),
    provisionedMaxWriteCapacity: int('provisionedMaxWriteCapacity'),
    publicUrl: str('publicUrl'),
    adminApiKeySha256: str('adminApiKeySha256'),
    refreshMaxConcurrency: int('refreshMaxConcurrency'),
    webhookMaxConcurrency: int('webhookMaxConcurrency'),
    serviceName: str('serviceName'),
    metricsNamespace: str('metricsNamespace'),
  };
  if (problems.length > 0) throw new Error(`invalid context: ${problems.join('; ')}`);

  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
      [K in keyof T]: Exclude<T[K], undefined>;
    };
  return {
    stackName: values.stackName,
    props: {
      description: 'Self-hosted OAuth token refresh service',
      service: defined({
        serviceName: values.serviceName,
        metricsNamespace: values.metricsNamespace,
        logLevel: logLevel as ServiceLogLevel | undefined,
        logRetention,
        store: defined({
          deletionProtection: values.deletionProtection,
          removalPolicy: retain === false ? RemovalPolicy.DESTROY : undefined,
          provisioned:
            values.provisionedMaxWriteCapacity === undefined
              ? undefined
              : { maxWriteCapacity: values.provisionedMaxWriteCapacity },
        }),
        refresh: defined({
          scheduleRate: rate === undefined ? undefined : Duration.minutes(rate),
          maxConcurrency: values.refreshMaxConcurrency,
        }),
        webhooks: defined({ webhookUrl: values.webhookUrl, maxConcurrency: values.webhookMaxConcurrency }),
        api: defined({ publicUrl: values.publicUrl, adminApiKeySha256: values.adminApiKeySha256 }),
        monitoring: defined({ alarmEmail: values.alarmEmail }),
      }),
    },
  };
}
