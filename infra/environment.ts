import { ENV } from '../shared/config/env';
import type { FunctionName } from './functions';

/** A field of the functions' configuration (`shared/config/config.ts`), named as in {@link ENV}. */
export type EnvField = keyof typeof ENV;

/**
 * Variables every function gets. The configuration schema requires the table and both queue URLs
 * of every function (one schema, parsed once); `KMS_KEY_ID` is set everywhere too, so no function
 * ever falls back to the local keyring on AWS (a function without key permissions fails loudly
 * instead). `DUE_SHARDS` must agree between the writers of the due index and the scheduler.
 */
export const SHARED_ENVIRONMENT = [
  'tableName',
  'refreshQueueUrl',
  'webhookQueueUrl',
  'kmsKeyId',
  'dueShards',
  'logLevel',
  'serviceName',
  'metricsNamespace',
] as const satisfies readonly EnvField[];

/** Every variable the infra sets on each function (always; the optional ones are listed below). */
export const FUNCTION_ENVIRONMENT = {
  scheduler: [...SHARED_ENVIRONMENT, 'scanMaxPerRun'],
  refresher: [...SHARED_ENVIRONMENT, 'refreshConcurrency', 'integrationConcurrency', 'providerTimeoutMs'],
  'webhook-sender': [...SHARED_ENVIRONMENT, 'webhookSecretArn'],
  api: [...SHARED_ENVIRONMENT, 'publicUrl', 'providerTimeoutMs'],
} as const satisfies Record<FunctionName, readonly EnvField[]>;

/** Variables set only when their prop is given. */
export const OPTIONAL_FUNCTION_ENVIRONMENT = {
  scheduler: [],
  refresher: [],
  'webhook-sender': ['webhookUrl'],
  api: ['adminApiKeySha256'],
} as const satisfies Record<FunctionName, readonly EnvField[]>;

/** Values by configuration field; CDK tokens (queue URLs, ARNs) are fine. */
export type EnvironmentValues = Partial<Record<EnvField, string | number | undefined>>;

/**
 * The environment of one function: exactly the fields {@link FUNCTION_ENVIRONMENT} lists for it
 * (plus the optional ones that have a value), under their {@link ENV} names.
 * @throws Error when a listed field has no value, or a value is given for a field the function
 *   does not read (a typo or a stale mapping would otherwise slip through)
 */
export function functionEnvironment(name: FunctionName, values: EnvironmentValues): Record<string, string> {
  const required: readonly EnvField[] = FUNCTION_ENVIRONMENT[name];
  const optional: readonly EnvField[] = OPTIONAL_FUNCTION_ENVIRONMENT[name];
  const environment: Record<string, string> = {};
  const missing: string[] = [];
  for (const field of required) {
    const value = values[field];
    if (value === undefined || value === '') missing.push(ENV[field]);
    else environment[ENV[field]] = String(value);
  }
  for (const field of optional) {
    const value = values[field];
    if (value !== undefined && value !== '') environment[ENV[field]] = String(value);
  }
  const unexpected = (Object.keys(values) as EnvField[]).filter(
    (field) => values[field] !== undefined && !required.includes(field) && !optional.includes(field),
  );
  if (missing.length > 0 || unexpected.length > 0) {
    const problems = [
      ...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []),
      ...(unexpected.length > 0 ? [`not read by it: ${unexpected.map((f) => ENV[f]).join(', ')}`] : []),
    ];
    throw new Error(`environment of the ${name} function: ${problems.join('; ')}`);
  }
  return environment;
}
