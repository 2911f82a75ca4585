import { DynamoDueIndex } from '../../shared/adapters/aws/dynamodb/due-index';
import { SqsTaskQueue } from '../../shared/adapters/aws/sqs';
import { type Config, loadConfig } from '../../shared/config/config';
import { SCAN_CLAIM_MS, type ScanDeps, type ScanOptions } from '../../shared/pipeline/scan';
import {
  type BaseOverrides,
  createBase,
  createSqs,
  perContainer,
  type SdkClients,
  webhookPublisher,
} from '../compose';

export interface SchedulerRoot {
  readonly scan: ScanDeps;
  /** Everything of a run's options but its time budget (that comes from the invocation). */
  readonly options: Omit<ScanOptions, 'timeBudgetMs'>;
  /** This root's SDK clients (instrumentation). */
  readonly clients: SdkClients;
  dispose(): void;
}

/** The scheduler's composition root: the due index, the refresh queue and the outbox republisher. */
export async function createSchedulerRoot(
  config: Config,
  overrides: BaseOverrides = {},
): Promise<SchedulerRoot> {
  const base = createBase(config, overrides);
  const sqs = createSqs(config);
  return {
    scan: {
      index: new DynamoDueIndex(base.dynamo, config.tableName),
      store: base.store,
      tasks: new SqsTaskQueue(sqs, config.refreshQueueUrl),
      publisher: webhookPublisher(config, sqs),
      clock: base.clock,
      logger: base.logger,
      metrics: base.metrics,
      history: base.history,
    },
    options: { shards: config.dueShards, maxPerRun: config.scanMaxPerRun, claimMs: SCAN_CLAIM_MS },
    clients: { dynamo: base.dynamo, sqs },
    dispose: () => {
      base.dispose();
      sqs.destroy();
    },
  };
}

/** This container's root, built on the first tick from the environment. */
export const schedulerRoot = perContainer(() => createSchedulerRoot(loadConfig()));
