/**
 * Environment variable names, shared by the functions (which read them) and the CDK infra / local
 * runtime (which set them), so the two can never drift apart.
 */
export const ENV = {
  tableName: 'TABLE_NAME',
  refreshQueueUrl: 'REFRESH_QUEUE_URL',
  webhookQueueUrl: 'WEBHOOK_QUEUE_URL',
  /** KMS key for envelope encryption (AWS). When absent, the local keyring is used. */
  kmsKeyId: 'KMS_KEY_ID',
  /** Local keyring: base64 of 32 bytes; otherwise `$DATA_DIR/master.key`. */
  masterKey: 'MASTER_KEY',
  dataDir: 'DATA_DIR',
  /** Hex SHA-256 of a bootstrap admin API key (the key itself is never configured). */
  adminApiKeySha256: 'ADMIN_API_KEY_SHA256',
  webhookUrl: 'WEBHOOK_URL',
  /** `whsec_...` signing secret (local mode / tests). */
  webhookSecret: 'WEBHOOK_SECRET',
  /** Secrets Manager ARN of the signing secret (AWS). */
  webhookSecretArn: 'WEBHOOK_SECRET_ARN',
  allowPrivateUrls: 'ALLOW_PRIVATE_URLS',
  logLevel: 'LOG_LEVEL',
  publicUrl: 'PUBLIC_URL',
  dueShards: 'DUE_SHARDS',
  scanMaxPerRun: 'SCAN_MAX_PER_RUN',
  /** Records of one refresher batch refreshed at once. */
  refreshConcurrency: 'REFRESH_CONCURRENCY',
  /** Refreshes of one integration at once, per process. */
  integrationConcurrency: 'INTEGRATION_CONCURRENCY',
  providerTimeoutMs: 'PROVIDER_TIMEOUT_MS',
  /** First webhook redelivery delay; the whole schedule scales with it (default 30 s). */
  webhookRetryFirstDelaySeconds: 'WEBHOOK_RETRY_FIRST_DELAY_SECONDS',
  /** api.md v1.1 connection history: days kept (DynamoDB TTL), default 30. */
  historyRetentionDays: 'HISTORY_RETENTION_DAYS',
  /** Local endpoints (dynalite / fauxqs); unset on AWS. */
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  sqsEndpoint: 'SQS_ENDPOINT',
  awsRegion: 'AWS_REGION',
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
} as const;
