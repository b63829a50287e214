import { StrataError } from '@strata/errors';
import { test as baseTest, inject } from 'vitest';
import { assertNoConnectionLeak, ConnectionLeakError, withConnectionLeakCheck } from './connection-leak.js';
import { workerDatabaseName } from './run-databases.js';
import { withRollback } from './with-rollback.js';
import { openWorkerDatabase, type WorkerDatabase } from './worker-database.js';

function provided<K extends 'strataTestServerUrl' | 'strataTemplateDatabase' | 'strataWorkerDatabasePrefix'>(
  key: K,
): string {
  const value = inject(key);
  if (typeof value !== 'string') {
    throw new StrataError(
      'TEST_SETUP_MISSING',
      "@strata/testing/vitest needs the harness's global setup: add globalSetup: ['@strata/testing/global-setup'] (or your own file calling createGlobalSetup) to the vitest config.",
    );
  }
  return value;
}

/**
 * vitest's `test` with a `db` fixture: a Strata pool on this worker's own database (cloned
 * from the migrated template by the global setup, and kept for every test file the worker
 * runs), and every test wrapped in a transaction that is rolled back afterwards. Code under
 * test that opens transactions gets savepoints. A test that leaves a client from
 * `db.connect()` checked out fails with `ConnectionLeakError` naming it and where the client
 * was acquired; the client is closed, so later tests are unaffected.
 *
 * @example
 * import { test } from '@strata/testing/vitest';
 * test('creates a user', async ({ db }) => {
 *   await db.query('insert into users (email) values ($1)', ['ann@example.com']);
 * });
 */
export const test = baseTest
  // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern.
  .extend('strataWorkerDatabase', { scope: 'worker' }, async ({}, { onCleanup }): Promise<WorkerDatabase> => {
    // VITEST_POOL_ID (1 … maxWorkers) stays the same for every file a worker slot runs, while
    // this module is evaluated again per file: the name, not module state, is what is shared.
    const worker = await openWorkerDatabase({
      serverUrl: provided('strataTestServerUrl'),
      template: provided('strataTemplateDatabase'),
      name: workerDatabaseName(provided('strataWorkerDatabasePrefix'), process.env.VITEST_POOL_ID ?? '1'),
      pool: inject('strataPoolOptions'),
    });
    onCleanup(() => worker.close());
    return worker;
  })
  .extend('db', async ({ strataWorkerDatabase }) => strataWorkerDatabase.pool);

test.aroundEach(async (runTest, { db, task }) => {
  await withRollback(db, () => withConnectionLeakCheck(db, task.fullName, () => runTest()));
  try {
    assertNoConnectionLeak(db);
  } catch (error) {
    // Checked out some other way than db.connect() in the test body (say, a query still running).
    if (error instanceof ConnectionLeakError)
      throw new ConnectionLeakError(error.active, { test: task.fullName });
    throw error;
  }
});

export { expect } from 'vitest';
export type { TestingProvidedContext } from './provided-context.js';
