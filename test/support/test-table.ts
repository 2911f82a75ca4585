import { afterAll, beforeAll } from 'vitest';
import { startTestDynalite, type TestDynamo } from './dynamo';

export interface TestTable {
  readonly dynamo: TestDynamo;
  /** A fresh table, created and ACTIVE. */
  readonly table: string;
}

/**
 * dynalite with one fresh table for the enclosing describe block: started before its tests (before
 * the block's own beforeAll hooks that come after this call), closed after them. Read `dynamo` and
 * `table` in hooks and tests; `{ ...db }` is what `createCore` takes.
 */
export function useTestTable(): TestTable {
  const db = {} as { dynamo: TestDynamo; table: string };
  beforeAll(async () => {
    db.dynamo = await startTestDynalite();
    db.table = await db.dynamo.newTable();
  }, 60_000);
  afterAll(async () => {
    await db.dynamo?.close();
  });
  return db;
}
