import { CfnElement, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { STACK_OUTPUTS } from './outputs';
import { TokenRefreshService, type TokenRefreshServiceProps } from './service';

export interface TokenRefreshStackProps extends StackProps {
  /** The stage (infra/config/<stage>.json); shown in outputs. @default - none */
  readonly stage?: string;
  readonly service?: TokenRefreshServiceProps;
}

/**
 * Logical ids of the stateful resources, fixed: a refactoring that moved a construct would
 * otherwise make CloudFormation create an empty table (and new keys, a new secret) and orphan the
 * old ones. The values are the ids these resources had when first deployed; never change them.
 */
export const PINNED_LOGICAL_IDS = {
  table: 'ServiceStoreTableB7D877FB',
  tableKey: 'ServiceStoreTableKey9D0BFAA1',
  envelopeKey: 'ServiceStoreEnvelopeKey8D888DE6',
  webhookSecret: 'ServiceWebhooksSigningSecretFA859DF0',
} as const;

/** The stack `cdk deploy` creates: the service and the outputs an operator needs next. */
export class TokenRefreshStack extends Stack {
  readonly service: TokenRefreshService;

  constructor(scope: Construct, id: string, props: TokenRefreshStackProps = {}) {
    super(scope, id, props);
    const service = new TokenRefreshService(this, 'Service', props.service);
    this.service = service;
    const pin = (construct: IConstruct, id: string) => {
      const resource = construct.node.defaultChild;
      // Adopted or imported resources have no CloudFormation resource here: nothing to pin.
      if (resource instanceof CfnElement) resource.overrideLogicalId(id);
    };
    pin(service.store.table, PINNED_LOGICAL_IDS.table);
    pin(service.store.tableKey, PINNED_LOGICAL_IDS.tableKey);
    pin(service.store.envelopeKey, PINNED_LOGICAL_IDS.envelopeKey);
    pin(service.webhooks.secret, PINNED_LOGICAL_IDS.webhookSecret);
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
        'The same API with IAM (SigV4) authorization, for callers in this account (scoped routes)',
      );
    }
    output('TableName', service.store.table.tableName, 'DynamoDB table (TABLE_NAME for npm run keys)');
    output(
      'TableKeyArn',
      service.store.tableKey.keyArn,
      'KMS key of the table (restore: --sse-specification-override)',
    );
    output('EnvelopeKeyArn', service.store.envelopeKey.keyArn, 'KMS key of the token envelopes');
    if (!(service.store.envelopeKey.node.defaultChild instanceof CfnElement)) {
      output(
        'AdoptedEnvelopeKeyPolicy',
        Stack.of(this).toJsonString(service.store.envelopeKeyPolicy.toJSON()),
        'Put this policy on the adopted envelope key (aws kms put-key-policy, infra/DEPLOY.md "Restore")',
      );
    }
    if (service.api.edge !== undefined) {
      output(
        'CloudFrontDomainName',
        service.api.edge.distribution.distributionDomainName,
        'Point the public name at this (done for you with a hosted zone)',
      );
    }
    if (service.api.domainName !== undefined) {
      output(
        'ApiRegionalDomainName',
        service.api.domainName.regionalDomainName,
        "Target of the API's custom domain (done for you with a hosted zone)",
      );
    }
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
    // What `npm run ops -- schedule|dlq --stack NAME` works on (infra/outputs.ts).
    output(
      STACK_OUTPUTS.scheduleName,
      service.refresh.schedule.scheduleName,
      'EventBridge Scheduler schedule of the scans (npm run ops -- schedule pause|resume|status)',
    );
    output(
      STACK_OUTPUTS.scheduleGroupName,
      service.refresh.schedule.scheduleGroup?.scheduleGroupName ?? 'default',
      'Its schedule group',
    );
    const queue = (id: string, value: string, what: string) =>
      output(id, value, `${what} (npm run ops -- dlq)`);
    queue(STACK_OUTPUTS.refreshQueueArn, service.refresh.queue.queueArn, 'Refresh queue');
    queue(STACK_OUTPUTS.refreshDlqUrl, service.refresh.deadLetterQueue.queueUrl, 'Refresh DLQ');
    queue(STACK_OUTPUTS.refreshDlqArn, service.refresh.deadLetterQueue.queueArn, 'Refresh DLQ');
    queue(STACK_OUTPUTS.webhookQueueArn, service.webhooks.queue.queueArn, 'Webhook queue');
    queue(STACK_OUTPUTS.webhookDlqUrl, service.webhooks.deadLetterQueue.queueUrl, 'Webhook DLQ');
    queue(STACK_OUTPUTS.webhookDlqArn, service.webhooks.deadLetterQueue.queueArn, 'Webhook DLQ');
    queue(
      STACK_OUTPUTS.scheduleDlqUrl,
      service.refresh.scheduleDeadLetterQueue.queueUrl,
      'Schedule DLQ: failed scheduler ticks',
    );
    output('AlarmTopicArn', service.monitoring.topic.topicArn, 'SNS topic of every alarm');
    output(
      'DashboardUrl',
      `https://console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards:name=${service.monitoring.dashboard.dashboard.dashboardName}`,
      'CloudWatch dashboard',
    );
  }
}
