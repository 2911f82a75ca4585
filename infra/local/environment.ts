import { ENV } from '../../shared/config/env';
import type { LocalConfig } from './config';
import type { LocalQueues } from './sqs';
import { LOCAL_REGION } from './sqs';

export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly sqs: string;
  readonly queues: LocalQueues;
  readonly publicUrl: string;
  readonly webhookSecret: string;
  /** Hex SHA-256 of the admin API key: the API authenticates it as the bootstrap admin key. */
  readonly adminApiKeySha256: string;
}

/**
 * The variables the functions read (names from `shared/config/env.ts`), pointing them at the local
 * stand-ins. `base` is the merged caller environment; variables it sets that are not derived here
 * (e.g. `PROVIDER_TIMEOUT_MS`, `MASTER_KEY`) reach the functions through `process.env` as they are.
 */
export function functionEnvironment(
  config: LocalConfig,
  endpoints: LocalEndpoints,
  base: Readonly<Record<string, string | undefined>>,
): Record<string, string | undefined> {
  return {
    [ENV.tableName]: config.tableName,
    [ENV.refreshQueueUrl]: endpoints.queues.refresh.url,
    [ENV.webhookQueueUrl]: endpoints.queues.webhooks.url,
    [ENV.dynamodbEndpoint]: endpoints.dynamodb,
    [ENV.sqsEndpoint]: endpoints.sqs,
    [ENV.dataDir]: config.dataDir,
    // Only the digest reaches the functions (api.md: keys are stored as SHA-256 digests); an
    // explicit ADMIN_API_KEY_SHA256 wins, as every explicit setting does.
    [ENV.adminApiKeySha256]: base[ENV.adminApiKeySha256] ?? endpoints.adminApiKeySha256,
    [ENV.webhookUrl]: config.webhookUrl,
    [ENV.webhookSecret]: endpoints.webhookSecret,
    [ENV.allowPrivateUrls]: String(config.allowPrivateUrls),
    [ENV.logLevel]: config.logLevel,
    [ENV.publicUrl]: endpoints.publicUrl,
    // A real region, so the SDK's endpoint resolution and the queues' ARNs behave as on AWS.
    [ENV.awsRegion]: LOCAL_REGION,
    [ENV.metricsNamespace]: base[ENV.metricsNamespace] ?? 'OAuthRefresher',
    // EMF blobs on stdout are for CloudWatch; locally they would drown the readable log lines.
    POWERTOOLS_METRICS_DISABLED:
      base.POWERTOOLS_METRICS_DISABLED ?? String(config.logLevel.toUpperCase() !== 'DEBUG'),
  };
}

/** Sets variables (undefined deletes) and returns a function that puts the previous values back. */
export function applyEnv(values: Readonly<Record<string, string | undefined>>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(values)) {
    if (!previous.has(name)) previous.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
