/**
 * The AWS side of `npm run ops -- ... --stack NAME [--region R]`: the stack's outputs name the
 * schedule, the queues and the table (infra/outputs.ts); EventBridge Scheduler and SQS do the rest
 * with the operator's own credentials (as the AWS CLI finds them). SDK errors become
 * {@link OpsError}s that say what to do.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetScheduleCommand,
  type GetScheduleCommandOutput,
  SchedulerClient,
  UpdateScheduleCommand,
  type UpdateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { STACK_OUTPUTS } from '../../infra/outputs';
import { OpsError } from './errors';

export interface AwsTarget {
  readonly stack: string;
  /** @default the SDK's (AWS_REGION, the profile's region) */
  readonly region?: string | undefined;
}

export interface AwsClients {
  readonly cloudFormation: CloudFormationClient;
  readonly scheduler: SchedulerClient;
  readonly sqs: SQSClient;
  readonly dynamodb: DynamoDBClient;
  destroy(): void;
}

export function awsClients(region?: string): AwsClients {
  const config = region === undefined ? {} : { region };
  const clients = {
    cloudFormation: new CloudFormationClient(config),
    scheduler: new SchedulerClient(config),
    sqs: new SQSClient(config),
    dynamodb: new DynamoDBClient(config),
  };
  return {
    ...clients,
    destroy: () => {
      for (const client of Object.values(clients)) client.destroy();
    },
  };
}

/** The region the clients use, for messages. @throws OpsError `no_region` */
export async function resolvedRegion(clients: AwsClients): Promise<string> {
  try {
    return await clients.cloudFormation.config.region();
  } catch (error) {
    throw new OpsError(
      'no_region',
      'no AWS region: pass --region or set AWS_REGION (or a region in your AWS profile)',
      {
        cause: error,
      },
    );
  }
}

const outputsSchema = z.object({
  Stacks: z
    .array(
      z.object({
        StackName: z.string().optional(),
        Outputs: z
          .array(z.object({ OutputKey: z.string().optional(), OutputValue: z.string().optional() }))
          .optional(),
      }),
    )
    .min(1),
});

export type StackOutputs = Readonly<Record<string, string>>;

/** The stack's outputs by key. @throws OpsError (see {@link awsError}) */
export async function stackOutputs(clients: AwsClients, target: AwsTarget): Promise<StackOutputs> {
  const region = await resolvedRegion(clients);
  let answer: unknown;
  try {
    answer = await clients.cloudFormation.send(new DescribeStacksCommand({ StackName: target.stack }));
  } catch (error) {
    throw awsError(error, { stack: target.stack, region, action: 'cloudformation:DescribeStacks' });
  }
  const parsed = outputsSchema.safeParse(answer);
  if (!parsed.success) throw new OpsError('no_stack', `no stack ${target.stack} in ${region}`);
  const outputs: Record<string, string> = {};
  for (const o of parsed.data.Stacks[0]?.Outputs ?? [])
    if (o.OutputKey !== undefined && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
  return outputs;
}

/** One output. @throws OpsError `missing_output` for a stack deployed before the output existed. */
export function output(outputs: StackOutputs, key: string, target: AwsTarget): string {
  const value = outputs[key];
  if (value === undefined || value === '')
    throw new OpsError(
      'missing_output',
      `stack ${target.stack} has no output ${key}: deploy the current version of this repository to it (npm run cdk -- deploy -c stage=...)`,
    );
  return value;
}

/**
 * An SDK error as the operator should read it: missing or rejected credentials, a wrong region or
 * stack name, missing permissions. Anything else keeps the SDK's own message.
 */
export function awsError(
  error: unknown,
  context: { readonly stack?: string; readonly region?: string; readonly action: string },
): OpsError {
  const e = error as { name?: string; message?: string; code?: string; Code?: string; $metadata?: unknown };
  const name = e?.name ?? e?.Code ?? e?.code ?? '';
  const message = typeof e?.message === 'string' ? e.message : String(error);
  const region = context.region ?? 'the configured region';
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message))
    return new OpsError(
      'no_credentials',
      'no AWS credentials: set AWS_PROFILE (after aws sso login / aws configure) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
      { cause: error },
    );
  if (/^Region is missing$/i.test(message) || name === 'RegionMissing')
    return new OpsError('no_region', 'no AWS region: pass --region or set AWS_REGION', { cause: error });
  if (
    [
      'UnrecognizedClientException',
      'InvalidClientTokenId',
      'ExpiredToken',
      'ExpiredTokenException',
      'InvalidSignatureException',
      'SignatureDoesNotMatch',
    ].includes(name)
  )
    return new OpsError(
      'bad_credentials',
      `AWS rejected the credentials (${name}): expired or for another account? Refresh them (aws sso login) or pick another AWS_PROFILE`,
      { cause: error },
    );
  if (name === 'ValidationError' && /does not exist/i.test(message) && context.stack !== undefined)
    return new OpsError(
      'no_stack',
      `no stack ${context.stack} in ${region}: check --stack (e.g. OAuthRefresher-Prod) and --region`,
      { cause: error },
    );
  if (/AccessDenied|UnauthorizedOperation|AuthorizationError/i.test(name))
    return new OpsError(
      'access_denied',
      `access denied for ${context.action} in ${region}: the credentials need that permission` +
        `${context.action === 'scheduler:UpdateSchedule' ? " and iam:PassRole on the schedule's role" : ''} (${message})`,
      { cause: error },
    );
  const network = (error as { code?: string; cause?: { code?: string } })?.code ?? '';
  if (name === 'TimeoutError' || ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED'].includes(network))
    return new OpsError(
      'no_region',
      `cannot reach AWS for ${context.action} in ${region}: is the region right?`,
      {
        cause: error,
      },
    );
  return new OpsError(
    'aws_error',
    `${context.action} failed in ${region}: ${name === '' ? '' : `${name}: `}${message}`,
    {
      cause: error,
    },
  );
}

// ---- the schedule -----------------------------------------------------------------------------

export interface AwsScheduleStatus {
  readonly name: string;
  readonly group: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly expression: string;
  readonly flexibleWindow: string;
  readonly lastModified: string | null;
  /** Whether this call changed the state. */
  readonly changed: boolean;
}

const scheduleSchema = z.object({
  Name: z.string(),
  ScheduleExpression: z.string(),
  State: z.enum(['ENABLED', 'DISABLED']),
  FlexibleTimeWindow: z.object({ Mode: z.string(), MaximumWindowInMinutes: z.number().optional() }),
  Target: z.object({ Arn: z.string(), RoleArn: z.string() }),
});

/**
 * `status`, `pause` (State DISABLED) or `resume` (ENABLED). UpdateSchedule replaces the whole
 * schedule, so every field GetSchedule returned goes back unchanged; only `State` differs.
 */
export async function awsSchedule(
  clients: AwsClients,
  target: AwsTarget,
  action: 'status' | 'pause' | 'resume',
): Promise<AwsScheduleStatus> {
  const outputs = await stackOutputs(clients, target);
  const region = await resolvedRegion(clients);
  const name = output(outputs, STACK_OUTPUTS.scheduleName, target);
  const group = outputs[STACK_OUTPUTS.scheduleGroupName] ?? 'default';
  let current: GetScheduleCommandOutput;
  try {
    current = await clients.scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
  } catch (error) {
    throw awsError(error, { stack: target.stack, region, action: 'scheduler:GetSchedule' });
  }
  const checked = scheduleSchema.safeParse(current);
  if (!checked.success)
    throw new OpsError('aws_error', `GetSchedule ${group}/${name} returned an incomplete schedule`);
  const wanted = action === 'pause' ? 'DISABLED' : action === 'resume' ? 'ENABLED' : checked.data.State;
  const changed = wanted !== checked.data.State;
  if (changed) {
    const update: UpdateScheduleCommandInput = {
      Name: checked.data.Name,
      GroupName: current.GroupName ?? group,
      ScheduleExpression: checked.data.ScheduleExpression,
      FlexibleTimeWindow: current.FlexibleTimeWindow,
      Target: current.Target,
      State: wanted,
      ...defined({
        ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
        // EventBridge Scheduler refuses a StartDate more than 5 minutes past, and one that has
        // passed changes nothing: the schedule has started either way.
        StartDate:
          current.StartDate !== undefined && current.StartDate.getTime() > Date.now()
            ? current.StartDate
            : undefined,
        EndDate: current.EndDate,
        Description: current.Description,
        KmsKeyArn: current.KmsKeyArn,
        ActionAfterCompletion: current.ActionAfterCompletion,
      }),
    };
    try {
      await clients.scheduler.send(new UpdateScheduleCommand(update));
    } catch (error) {
      throw awsError(error, { stack: target.stack, region, action: 'scheduler:UpdateSchedule' });
    }
  }
  const window = checked.data.FlexibleTimeWindow;
  return {
    name,
    group,
    state: wanted,
    expression: checked.data.ScheduleExpression,
    flexibleWindow:
      window.Mode === 'FLEXIBLE' ? `flexible, up to ${window.MaximumWindowInMinutes ?? '?'} min` : 'off',
    lastModified: changed ? new Date().toISOString() : (current.LastModificationDate?.toISOString() ?? null),
    changed,
  };
}

function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<T>;
}

// ---- the DLQs ---------------------------------------------------------------------------------

export const AWS_DLQS = {
  refresh: {
    dlqUrl: STACK_OUTPUTS.refreshDlqUrl,
    dlqArn: STACK_OUTPUTS.refreshDlqArn,
    sourceArn: STACK_OUTPUTS.refreshQueueArn,
  },
  webhooks: {
    dlqUrl: STACK_OUTPUTS.webhookDlqUrl,
    dlqArn: STACK_OUTPUTS.webhookDlqArn,
    sourceArn: STACK_OUTPUTS.webhookQueueArn,
  },
} as const;
export type AwsDlqName = keyof typeof AWS_DLQS;

export interface AwsDlqStatus {
  readonly name: AwsDlqName;
  readonly visible: number;
  readonly inFlight: number;
  /** The latest redrive of this DLQ, if any. */
  readonly lastMove: {
    readonly status: string;
    readonly moved: number;
    readonly toMove: number | null;
    readonly startedAt: string | null;
    readonly failureReason: string | null;
  } | null;
}

const moveTasksSchema = z.object({
  Results: z
    .array(
      z.object({
        Status: z.string().optional(),
        ApproximateNumberOfMessagesMoved: z.number().optional(),
        ApproximateNumberOfMessagesToMove: z.number().optional(),
        StartedTimestamp: z.number().optional(),
        FailureReason: z.string().optional(),
      }),
    )
    .optional(),
});

/** The schedule DLQ: ticks not delivered or scans that failed (no source queue: never redriven). */
export interface AwsScheduleDlqStatus {
  readonly visible: number;
  readonly inFlight: number;
}

export async function awsDlqStatus(
  clients: AwsClients,
  target: AwsTarget,
): Promise<{ queues: AwsDlqStatus[]; schedule: AwsScheduleDlqStatus | null }> {
  const outputs = await stackOutputs(clients, target);
  const region = await resolvedRegion(clients);
  const result: AwsDlqStatus[] = [];
  for (const name of Object.keys(AWS_DLQS) as AwsDlqName[]) {
    const q = AWS_DLQS[name];
    const url = output(outputs, q.dlqUrl, target);
    const arn = output(outputs, q.dlqArn, target);
    try {
      const attributes = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      const tasks = moveTasksSchema.parse(
        await clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 1 })),
      );
      const last = tasks.Results?.[0];
      result.push({
        name,
        visible: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
        lastMove:
          last === undefined
            ? null
            : {
                status: last.Status ?? 'UNKNOWN',
                moved: last.ApproximateNumberOfMessagesMoved ?? 0,
                toMove: last.ApproximateNumberOfMessagesToMove ?? null,
                startedAt:
                  last.StartedTimestamp === undefined ? null : new Date(last.StartedTimestamp).toISOString(),
                failureReason: last.FailureReason ?? null,
              },
      });
    } catch (error) {
      if (error instanceof z.ZodError)
        throw new OpsError('aws_error', 'ListMessageMoveTasks: unexpected answer');
      throw awsError(error, {
        stack: target.stack,
        region,
        action: 'sqs:GetQueueAttributes / sqs:ListMessageMoveTasks',
      });
    }
  }
  // Stacks deployed before this output have no schedule DLQ line.
  const scheduleUrl = outputs[STACK_OUTPUTS.scheduleDlqUrl];
  let schedule: AwsScheduleDlqStatus | null = null;
  if (scheduleUrl !== undefined) {
    try {
      const attributes = await clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: scheduleUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      schedule = {
        visible: Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    } catch (error) {
      throw awsError(error, { stack: target.stack, region, action: 'sqs:GetQueueAttributes' });
    }
  }
  return { queues: result, schedule };
}

/** Starts SQS's own redrive of one DLQ back to its source queue; returns the task handle. */
export async function awsRedrive(clients: AwsClients, target: AwsTarget, name: AwsDlqName): Promise<string> {
  const outputs = await stackOutputs(clients, target);
  const region = await resolvedRegion(clients);
  const q = AWS_DLQS[name];
  const source = output(outputs, q.dlqArn, target);
  const destination = output(outputs, q.sourceArn, target);
  try {
    const out = await clients.sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: source, DestinationArn: destination }),
    );
    return out.TaskHandle ?? '(no task handle)';
  } catch (error) {
    throw awsError(error, { stack: target.stack, region, action: 'sqs:StartMessageMoveTask' });
  }
}

/**
 * Follows the latest move task of a DLQ until it is no longer RUNNING (SQS keeps the task handle only
 * while it runs, and lists the newest task first). @returns its final status.
 */
export async function awsWaitForMove(
  clients: AwsClients,
  target: AwsTarget,
  name: AwsDlqName,
  options: {
    readonly sleep?: (ms: number) => Promise<void>;
    readonly intervalMs?: number;
    readonly progress?: (moved: number, toMove: number | null) => void;
  } = {},
): Promise<NonNullable<AwsDlqStatus['lastMove']>> {
  const outputs = await stackOutputs(clients, target);
  const region = await resolvedRegion(clients);
  const arn = output(outputs, AWS_DLQS[name].dlqArn, target);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    let answer: unknown;
    try {
      answer = await clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 1 }));
    } catch (error) {
      throw awsError(error, { stack: target.stack, region, action: 'sqs:ListMessageMoveTasks' });
    }
    const last = moveTasksSchema.safeParse(answer).data?.Results?.[0];
    if (last === undefined) throw new OpsError('aws_error', `no move task listed for the ${name} DLQ`);
    const moved = last.ApproximateNumberOfMessagesMoved ?? 0;
    const toMove = last.ApproximateNumberOfMessagesToMove ?? null;
    if (last.Status !== 'RUNNING')
      return {
        status: last.Status ?? 'UNKNOWN',
        moved,
        toMove,
        startedAt: last.StartedTimestamp === undefined ? null : new Date(last.StartedTimestamp).toISOString(),
        failureReason: last.FailureReason ?? null,
      };
    options.progress?.(moved, toMove);
    await sleep(options.intervalMs ?? 2_000);
  }
}
