/**
 * Names of the stack outputs that tools read (`npm run ops -- ... --stack NAME`), kept here, free of
 * CDK imports, so the CLI and the stack agree on them. README "Stack outputs" lists every output.
 */
export const STACK_OUTPUTS = {
  apiUrl: 'ApiUrl',
  tableName: 'TableName',
  /** EventBridge Scheduler schedule of the scans, and its group. */
  scheduleName: 'ScheduleName',
  scheduleGroupName: 'ScheduleGroupName',
  refreshQueueArn: 'RefreshQueueArn',
  refreshDlqUrl: 'RefreshDeadLetterQueueUrl',
  refreshDlqArn: 'RefreshDeadLetterQueueArn',
  webhookQueueArn: 'WebhookQueueArn',
  webhookDlqUrl: 'WebhookDeadLetterQueueUrl',
  webhookDlqArn: 'WebhookDeadLetterQueueArn',
  /** Scheduler ticks that were not delivered or whose scan failed: shown, never redriven. */
  scheduleDlqUrl: 'ScheduleDeadLetterQueueUrl',
} as const;
