import * as z from 'zod';
import { ServiceError } from '../errors';
import { DEFAULT_DUE_SHARDS } from '../policy/schedule';
import { ENV } from './env';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z.string().min(1).optional();

/** The functions' configuration: one schema, parsed once, one error listing every bad variable. */
export const configSchema = z.object({
  tableName: z.string().min(3),
  refreshQueueUrl: z.url(),
  webhookQueueUrl: z.url(),
  kmsKeyId: optionalString,
  masterKey: optionalString,
  dataDir: optionalString,
  adminApiKeySha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be a hex SHA-256 digest (64 characters)')
    .transform((v) => v.toLowerCase())
    .optional(),
  webhookUrl: z.url({ protocol: /^https?$/ }).optional(),
  webhookSecret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'must look like whsec_<base64>')
    .optional(),
  webhookSecretArn: optionalString,
  allowPrivateUrls: bool.default(false),
  logLevel: z
    .string()
    .transform((v) => v.toUpperCase())
    .pipe(z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']))
    .default('INFO'),
  publicUrl: z.url().optional(),
  dueShards: int(1, 1_000).default(DEFAULT_DUE_SHARDS),
  scanMaxPerRun: int(1, 1_000_000).default(10_000),
  refreshConcurrency: int(1, 100).default(10),
  integrationConcurrency: int(1, 100).default(4),
  providerTimeoutMs: int(100, 60_000).default(10_000),
  webhookRetryFirstDelaySeconds: int(1, 3_600).default(30),
  historyRetentionDays: int(1, 365).default(30),
  dynamodbEndpoint: z.url().optional(),
  sqsEndpoint: z.url().optional(),
  awsRegion: z.string().min(1).default('us-east-1'),
  serviceName: z.string().min(1).default('oauth-refresher'),
  metricsNamespace: z.string().min(1).default('OAuthRefresher'),
});
export type Config = z.output<typeof configSchema>;

/**
 * Reads the configuration from an environment (default `process.env`).
 * @throws ServiceError `config_invalid` naming every missing or invalid variable (never its value).
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const input: Record<string, string | undefined> = {};
  for (const [field, name] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') input[field] = value;
  }
  const result = configSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? '');
      const name = (ENV as Record<string, string>)[field] ?? field;
      return `${name}: ${issue.message}`;
    });
    throw new ServiceError('config_invalid', `invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
