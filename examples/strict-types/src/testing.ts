import { createGlobalSetup, defineTestingConfig, expectQueries, withRollback } from '@strata/testing';
import { createGlobalSetup as setupFromEntry } from '@strata/testing/global-setup';
import { expect, test } from '@strata/testing/vitest';

// A test file as a project would write it (compiled here, never run).
test('one query, rolled back', async ({ db }) => {
  const config = defineTestingConfig({ migrations: './migrations', pool: { max: 4 } });
  expect(config.pool?.max).toBe(4);
  expect(setupFromEntry).toBe(createGlobalSetup);
  await withRollback(db, async (tx) => {
    await expectQueries(async () => tx.query('select 1')).toBe(1);
  });
});
