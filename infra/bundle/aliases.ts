import { join } from 'node:path';

/**
 * esbuild aliases of the Lambda bundles (the CDK construct and `npm run bench` both apply them):
 * the AWS SDK's default credential chain becomes the environment provider, which is where Lambda
 * puts the role's credentials (env-credentials.ts), and the SDK's event-stream support, which no
 * DynamoDB, KMS or SQS operation uses, is left out (no-event-streams.ts). Plain data, so the bench
 * can import it without loading the CDK.
 */
export function lambdaModuleAliases(projectRoot: string): Readonly<Record<string, string>> {
  return {
    '@aws-sdk/credential-provider-node': join(projectRoot, 'infra', 'bundle', 'env-credentials.ts'),
    '@smithy/core/event-streams': join(projectRoot, 'infra', 'bundle', 'no-event-streams.ts'),
  };
}
