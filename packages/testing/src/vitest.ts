import { randomBytes } from 'node:crypto';
import { createPool, type Pool } from '@strata/pool';
import { test as baseTest, inject } from 'vitest';
import { assertNoConnectionLeak } from './connection-leak.js';
import type {} from './global-setup.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { withRollback } from './with-rollback.js';

interface WorkerDatabase {
  database: TestDatabase;
  pool: Pool;
}

/**
 * vitest's `test` with a `db` fixture: a Strata pool on this worker's own database (cloned
 * from the migrated template), and every test wrapped in a transaction that is rolled back
 * afterwards. Code under test that opens transactions gets savepoints. After each test the
 * pool must have no connection checked out.
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
    const worker = process.env.VITEST_POOL_ID ?? '0';
    const database = await createTestDatabase({
      serverUrl: inject('strataTestServerUrl'),
      template: inject('strataTemplateDatabase'),
      name: `strata_test_w${worker}_${randomBytes(3).toString('hex')}`,
    });
    const pool = createPool({ ...inject('strataPoolOptions'), connectionString: database.connectionString });
    onCleanup(async () => {
      await pool.close({ timeoutMs: 2_000 });
      await database.drop();
    });
    await pool.ready();
    return { database, pool };
  })
  .extend('db', async ({ strataWorkerDatabase }) => strataWorkerDatabase.pool);

test.aroundEach(async (runTest, { db }) => {
  await withRollback(db, () => runTest());
  assertNoConnectionLeak(db);
});

export { expect } from 'vitest';
