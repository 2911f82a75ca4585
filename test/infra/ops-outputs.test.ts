import { describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../infra/outputs';
import { resourcesOf, synthService } from './support';

describe('stack outputs that npm run ops -- ... --stack reads', () => {
  const { t } = synthService({ stackName: 'OAuthRefresher-Ops', props: { env: { region: 'eu-west-1' } } });
  const outputs = t.toJSON().Outputs as Record<string, { Value: unknown }>;
  const ref = (type: string, match: (id: string) => boolean) => {
    const ids = Object.keys(resourcesOf(t, type)).filter(match);
    expect(ids, type).toHaveLength(1);
    return ids[0] as string;
  };

  it('has every output the CLI names', () => {
    for (const name of Object.values(STACK_OUTPUTS)) expect(Object.keys(outputs), name).toContain(name);
  });

  it('names the scan schedule and each DLQ with its own source queue', () => {
    const schedule = ref('AWS::Scheduler::Schedule', () => true);
    expect(outputs[STACK_OUTPUTS.scheduleName]?.Value).toEqual({ Ref: schedule });
    expect(outputs[STACK_OUTPUTS.scheduleGroupName]?.Value).toBe('default');
    const queue = (part: string) => ref('AWS::SQS::Queue', (id) => id.includes(part));
    const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
    expect(outputs[STACK_OUTPUTS.refreshQueueArn]?.Value).toEqual(arn(queue('RefreshQueue')));
    expect(outputs[STACK_OUTPUTS.refreshDlqArn]?.Value).toEqual(arn(queue('RefreshDeadLetterQueue')));
    expect(outputs[STACK_OUTPUTS.refreshDlqUrl]?.Value).toEqual({ Ref: queue('RefreshDeadLetterQueue') });
    expect(outputs[STACK_OUTPUTS.webhookQueueArn]?.Value).toEqual(arn(queue('WebhooksQueue')));
    expect(outputs[STACK_OUTPUTS.webhookDlqArn]?.Value).toEqual(arn(queue('WebhooksDeadLetterQueue')));
    expect(outputs[STACK_OUTPUTS.webhookDlqUrl]?.Value).toEqual({ Ref: queue('WebhooksDeadLetterQueue') });
    expect(outputs[STACK_OUTPUTS.scheduleDlqUrl]?.Value).toEqual({ Ref: queue('ScheduleDeadLetterQueue') });
  });
});
