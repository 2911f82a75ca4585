import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TokenRefreshService, type TokenRefreshServiceProps } from './service';

export interface TokenRefreshStackProps extends StackProps {
  readonly service?: TokenRefreshServiceProps;
}

/** The stack `cdk deploy` creates: the service and the outputs an operator needs next. */
export class TokenRefreshStack extends Stack {
  readonly service: TokenRefreshService;

  constructor(scope: Construct, id: string, props: TokenRefreshStackProps = {}) {
    super(scope, id, props);
    const service = new TokenRefreshService(this, 'Service', props.service);
    this.service = service;
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });

    output(
      'ApiUrl',
      service.api.url,
      'Base URL of the HTTP API (PUBLIC_URL); Authorization: Bearer <api key>',
    );
    output(
      'OAuthCallbackUrl',
      `${service.api.url}/v1/oauth/callback`,
      'Redirect URI to register with each OAuth provider (connect flow)',
    );
    if (service.api.iamHttpApi !== undefined) {
      output(
        'IamApiUrl',
        service.api.iamHttpApi.apiEndpoint,
        'The same API with IAM (SigV4) authorization, for callers in this account (admin scope)',
      );
    }
    output('TableName', service.store.table.tableName, 'DynamoDB table (TABLE_NAME for npm run keys)');
    output(
      'CreateFirstAdminKey',
      `TABLE_NAME=${service.store.table.tableName} AWS_REGION=${this.region} npm run keys -- create --name admin --scope admin`,
      'Run from a checkout with credentials for this account: prints the first admin API key once',
    );
    output(
      'WebhookSecretArn',
      service.webhooks.secret.secretArn,
      'Secrets Manager secret your webhook receiver verifies signatures with',
    );
    output('AlarmTopicArn', service.monitoring.topic.topicArn, 'SNS topic of every alarm');
    output(
      'DashboardUrl',
      `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${service.monitoring.dashboard.dashboard.dashboardName}`,
      'CloudWatch dashboard',
    );
  }
}
