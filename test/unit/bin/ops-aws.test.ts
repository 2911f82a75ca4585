import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runOps } from '../../../bin/ops';
import { awsClients } from '../../../bin/ops/aws';
import { STACK_OUTPUTS } from '../../../infra/outputs';
import { rememberSecret } from '../../support/secrets';

const STACK = 'OAuthRefresher-Prod';
const REGION = 'eu-west-1';
const ARN = (name: string) => `arn:aws:sqs:${REGION}:123456789012:${name}`;
const OUTPUTS: Record<string, string> = {
  [STACK_OUTPUTS.apiUrl]: 'https://abc.execute-api.eu-west-1.amazonaws.com',
  [STACK_OUTPUTS.tableName]: 'OAuthRefresher-Prod-Table',
  [STACK_OUTPUTS.scheduleName]: 'OAuthRefresher-Prod-Schedule-abc',
  [STACK_OUTPUTS.scheduleGroupName]: 'default',
  [STACK_OUTPUTS.refreshQueueArn]: ARN('refresh'),
  [STACK_OUTPUTS.refreshDlqUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/refresh-dlq',
  [STACK_OUTPUTS.refreshDlqArn]: ARN('refresh-dlq'),
  [STACK_OUTPUTS.webhookQueueArn]: ARN('webhooks'),
  [STACK_OUTPUTS.webhookDlqUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/webhooks-dlq',
  [STACK_OUTPUTS.webhookDlqArn]: ARN('webhooks-dlq'),
  [STACK_OUTPUTS.scheduleDlqUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/schedule-dlq',
};
const describeStacks = (outputs: Record<string, string> = OUTPUTS) => ({
  Stacks: [
    {
      StackName: STACK,
      StackStatus: 'UPDATE_COMPLETE' as const,
      CreationTime: new Date(),
      Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    },
  ],
});

/** A schedule as GetSchedule returns it, every field the update must keep filled in. */
const SCHEDULE: GetScheduleCommandOutput = {
  $metadata: {},
  Arn: `arn:aws:scheduler:${REGION}:123456789012:schedule/default/${OUTPUTS.ScheduleName}`,
  Name: OUTPUTS.ScheduleName,
  GroupName: 'default',
  State: 'ENABLED',
  Description: 'Scan for connections due for a token refresh',
  ScheduleExpression: 'rate(1 minute)',
  ScheduleExpressionTimezone: 'UTC',
  FlexibleTimeWindow: { Mode: 'FLEXIBLE', MaximumWindowInMinutes: 1 },
  Target: {
    Arn: `arn:aws:lambda:${REGION}:123456789012:function:scheduler`,
    RoleArn: 'arn:aws:iam::123456789012:role/ScheduleRole',
    RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 2 },
    DeadLetterConfig: { Arn: ARN('schedule-dlq') },
    Input: '{}',
  },
  KmsKeyArn: `arn:aws:kms:${REGION}:123456789012:key/abc`,
  ActionAfterCompletion: 'NONE',
  CreationDate: new Date('2026-11-01T00:00:00Z'),
  LastModificationDate: new Date('2026-11-02T00:00:00Z'),
};

const cfn = mockClient(CloudFormationClient);
const scheduler = mockClient(SchedulerClient);
const sqs = mockClient(SQSClient);
const dynamo = mockClient(DynamoDBClient);

async function ops(argv: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runOps(argv, {
    io: { out: (l) => out.push(l), err: (l) => err.push(l) },
    env,
    aws: (region) => awsClients(region),
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const onStack = ['--stack', STACK, '--region', REGION];

describe('npm run ops against a deployed stack (SDK boundary mocked)', () => {
  beforeEach(() => {
    for (const m of [cfn, scheduler, sqs, dynamo]) m.reset();
    cfn.on(DescribeStacksCommand, { StackName: STACK }).resolves(describeStacks());
  });
  afterEach(() => {
    for (const m of [cfn, scheduler, sqs, dynamo]) m.reset();
  });

  it('schedule pause sends UpdateSchedule with State DISABLED and every other field as GetSchedule had it', async () => {
    scheduler.on(GetScheduleCommand).resolves(SCHEDULE);
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: SCHEDULE.Arn });
    const result = await ops(['schedule', 'pause', ...onStack]);
    expect(result.code).toBe(0);
    expect(scheduler.commandCalls(GetScheduleCommand)[0]?.args[0].input).toEqual({
      Name: OUTPUTS.ScheduleName,
      GroupName: 'default',
    });
    const updates = scheduler.commandCalls(UpdateScheduleCommand);
    expect(updates).toHaveLength(1);
    const { $metadata, Arn, CreationDate, LastModificationDate, State, ...kept } = SCHEDULE;
    expect(State).toBe('ENABLED');
    expect(updates[0]?.args[0].input).toEqual({ ...kept, State: 'DISABLED' });
    expect(result.out).toContain(
      `Schedule default/${OUTPUTS.ScheduleName} of stack ${STACK} (${REGION}): paused: now DISABLED`,
    );
    expect(result.out).toContain('on-demand reads still refresh');
    expect(result.out).toContain(`npm run ops -- schedule resume --stack ${STACK} --region ${REGION}`);
    expect(result.out).toContain('cdk deploy');
    expect(result.out).toContain('SchedulerSilent alarm');
  });

  it('schedule resume sets ENABLED; status and a repeated pause change nothing', async () => {
    // A start date already past is left out (the service refuses it; it changes nothing).
    scheduler.on(GetScheduleCommand).resolves({
      ...SCHEDULE,
      State: 'DISABLED',
      StartDate: new Date('2026-01-01T00:00:00Z'),
      EndDate: new Date('2099-01-01T00:00:00Z'),
    });
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: SCHEDULE.Arn });
    expect((await ops(['schedule', 'resume', ...onStack])).code).toBe(0);
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).toMatchObject({
      State: 'ENABLED',
      Target: SCHEDULE.Target,
      FlexibleTimeWindow: SCHEDULE.FlexibleTimeWindow,
      EndDate: new Date('2099-01-01T00:00:00Z'),
    });
    expect(scheduler.commandCalls(UpdateScheduleCommand)[0]?.args[0].input).not.toHaveProperty('StartDate');
    scheduler.resetHistory();
    const status = await ops(['schedule', 'status', ...onStack]);
    expect(status.out).toContain(': DISABLED');
    expect(status.out).toContain('rate(1 minute), window flexible, up to 1 min');
    expect((await ops(['schedule', 'pause', ...onStack])).code).toBe(0);
    expect(scheduler.commandCalls(UpdateScheduleCommand)).toHaveLength(0);
  });

  it('dlq redrive starts an SQS message move task from the DLQ ARN to its source queue', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-handle-1' });
    const result = await ops(['dlq', 'redrive', 'webhooks', ...onStack]);
    expect(result.code).toBe(0);
    const calls = sqs.commandCalls(StartMessageMoveTaskCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      SourceArn: ARN('webhooks-dlq'),
      DestinationArn: ARN('webhooks'),
    });
    expect(result.out).toContain('task-handle-1');
    expect(result.out).toContain('webhook-id');
  });

  it('dlq redrive --wait follows the move task until it completes', async () => {
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 'task-handle-2' });
    sqs
      .on(ListMessageMoveTasksCommand, { SourceArn: ARN('refresh-dlq') })
      .resolvesOnce({
        Results: [
          { Status: 'RUNNING', ApproximateNumberOfMessagesMoved: 1, ApproximateNumberOfMessagesToMove: 3 },
        ],
      })
      .resolves({
        Results: [
          { Status: 'COMPLETED', ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 },
        ],
      });
    const out: string[] = [];
    const err: string[] = [];
    let slept = 0;
    const code = await runOps(['dlq', 'redrive', 'refresh', '--wait', ...onStack], {
      io: { out: (l) => out.push(l), err: (l) => err.push(l) },
      env: {},
      sleep: async () => {
        slept += 1;
      },
    });
    expect(code).toBe(0);
    expect(slept).toBe(1);
    expect(err.join('\n')).toContain('1 of 3 moved');
    expect(out.join('\n')).toContain('Move task COMPLETED: 3 of 3 message(s) moved.');
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: ARN('refresh-dlq'),
      DestinationArn: ARN('refresh'),
    });
  });

  it('dlq show reports each DLQ depth and its last move task', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '0' },
    });
    sqs.on(ListMessageMoveTasksCommand, { SourceArn: ARN('refresh-dlq') }).resolves({
      Results: [
        {
          Status: 'RUNNING',
          ApproximateNumberOfMessagesMoved: 1,
          ApproximateNumberOfMessagesToMove: 4,
          StartedTimestamp: 0,
        },
      ],
    });
    sqs.on(ListMessageMoveTasksCommand, { SourceArn: ARN('webhooks-dlq') }).resolves({ Results: [] });
    const result = await ops(['dlq', 'show', ...onStack]);
    expect(result.code).toBe(0);
    expect(result.out).toContain(`refresh DLQ of ${STACK}: 3 message(s)`);
    expect(result.out).toContain('last redrive: RUNNING, 1 of 4 moved');
    expect(result.out).toContain(`webhooks DLQ of ${STACK}: 3 message(s)`);
    expect(result.out).toContain(`schedule DLQ of ${STACK}: 3 failed tick(s) (not redriven`);
  });

  it('keys create --stack with no admin key writes only the digest into the stack table and prints the key once', async () => {
    dynamo.on(PutItemCommand).resolves({});
    const result = await ops(['keys', 'create', '--name', 'admin', '--scope', 'admin', ...onStack]);
    expect(result.code).toBe(0);
    const key = /\b(ork_\S+)/.exec(result.out)?.[1] ?? '';
    rememberSecret(key);
    expect(key).not.toBe('');
    expect(result.out.split(key)).toHaveLength(2);
    expect(result.err).toContain(`directly in table ${OUTPUTS.TableName} of ${STACK} (${REGION})`);
    const puts = dynamo.commandCalls(PutItemCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.args[0].input.TableName).toBe(OUTPUTS.TableName);
    expect(JSON.stringify(puts[0]?.args[0].input)).not.toContain(key);
  });

  it('keys with --stack and an admin key go through the stack API', async () => {
    const seen: string[] = [];
    const fetchStub: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response(JSON.stringify({ items: [] }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    };
    const out: string[] = [];
    const code = await runOps(['keys', 'list', ...onStack], {
      io: { out: (l) => out.push(l), err: () => undefined },
      env: { OAUTH_REFRESHER_API_KEY: 'ork_operator-key-0000000000' },
      fetch: fetchStub,
    });
    expect(code).toBe(0);
    expect(seen).toEqual([`${OUTPUTS.ApiUrl}/v1/api-keys`]);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('API commands with --stack call the stack API (its ApiUrl output) with the given admin key', async () => {
    const seen: string[] = [];
    const fetchStub: typeof fetch = async (input) => {
      seen.push(String(input));
      return new Response(JSON.stringify({ retried: 2, complete: true }), { status: 200 });
    };
    const out: string[] = [];
    const err: string[] = [];
    const code = await runOps(['integration', 'retry', 'crm', ...onStack], {
      io: { out: (l) => out.push(l), err: (l) => err.push(l) },
      env: { OAUTH_REFRESHER_API_KEY: 'ork_operator-key-0000000000' },
      fetch: fetchStub,
    });
    expect(code).toBe(0);
    expect(seen).toEqual([`${OUTPUTS.ApiUrl}/v1/integrations/crm/retry`]);
    expect(out.join('\n')).toContain('2 held connection(s) made due now');
    const noKey = await ops(['connections', 'list', ...onStack]);
    expect(noKey.code).toBe(2);
    expect(noKey.err).toContain(`admin key of ${STACK} (the first one: npm run ops -- keys create`);
  });

  it('says what is wrong: no credentials, no such stack, rejected credentials, missing outputs, no --stack', async () => {
    cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    const noCreds = await ops(['schedule', 'status', ...onStack]);
    expect(noCreds.code).toBe(1);
    expect(noCreds.err).toContain('[no_credentials]: no AWS credentials: set AWS_PROFILE');

    cfn.reset();
    cfn
      .on(DescribeStacksCommand)
      .rejects(
        Object.assign(new Error(`Stack with id ${STACK} does not exist`), { name: 'ValidationError' }),
      );
    const noStack = await ops(['dlq', 'show', '--stack', STACK, '--region', 'us-east-2']);
    expect(noStack.err).toContain(`[no_stack]: no stack ${STACK} in us-east-2`);

    cfn.reset();
    cfn.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('The security token included in the request is invalid.'), {
        name: 'InvalidClientTokenId',
      }),
    );
    expect((await ops(['keys', 'list', ...onStack])).err).toContain(
      '[bad_credentials]: AWS rejected the credentials',
    );

    cfn.reset();
    cfn
      .on(DescribeStacksCommand)
      .resolves(describeStacks({ [STACK_OUTPUTS.apiUrl]: OUTPUTS.ApiUrl as string }));
    const old = await ops(['schedule', 'pause', ...onStack]);
    expect(old.err).toContain(
      `[missing_output]: stack ${STACK} has no output ScheduleName: deploy the current version`,
    );
    expect(scheduler.calls()).toHaveLength(0);

    cfn.reset();
    scheduler.on(GetScheduleCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: scheduler:GetSchedule'), {
        name: 'AccessDeniedException',
      }),
    );
    cfn.on(DescribeStacksCommand).resolves(describeStacks());
    expect((await ops(['schedule', 'status', ...onStack])).err).toContain(
      `[access_denied]: access denied for scheduler:GetSchedule in ${REGION}`,
    );

    // No --region, no AWS_REGION and no profile with a region.
    const saved = { ...process.env };
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[name];
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
    try {
      const noRegion = await ops(['schedule', 'status', '--stack', STACK]);
      expect(noRegion.code).toBe(1);
      expect(noRegion.err).toContain('[no_region]: no AWS region: pass --region or set AWS_REGION');
    } finally {
      process.env = saved;
    }
  });
});
