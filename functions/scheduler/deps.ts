import { DynamoDueIndex } from '../../shared/adapters/aws/dynamodb/due-index';
import { SqsTaskQueue } from '../../shared/adapters/aws/sqs';
import { type Config, loadConfig } from '../../shared/config/config';
import { SCAN_CLAIM_MS, type ScanDeps, type ScanOptions } from '../../shared/pipeline/scan';
import { type BaseOverrides, createBase, perContainer, type Root } from '../compose';

export interface SchedulerRoot extends Root {
  readonly scan: ScanDeps;
  /** Everything of a run's options but its time budget (that comes from the invocation). */
  readonly options: Omit<ScanOptions, 'timeBudgetMs'>;
}

/** The scheduler's composition root: the due index, the refresh queue and the outbox republisher. */
export async function createSchedulerRoot(
  config: Config,
  overrides: BaseOverrides = {},
): Promise<SchedulerRoot> {
  const base = createBase(config, overrides);
  return {
    scan: {
      index: new DynamoDueIndex(base.dynamo, config.tableName),
      store: base.store,
      tasks: new SqsTaskQueue(base.sqs, config.refreshQueueUrl),
      publisher: base.publisher,
      clock: base.clock,
      logger: base.logger,
      metrics: base.metrics,
      history: base.history,
    },
    options: { shards: config.dueShards, maxPerRun: config.scanMaxPerRun, claimMs: SCAN_CLAIM_MS },
    clients: base.clients,
    dispose: base.dispose,
  };
}

/** This container's root, built on the first tick from the environment. */
export const schedulerRoot = perContainer(() => createSchedulerRoot(loadConfig()));
