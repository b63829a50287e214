import { DeadlockDetectedError } from '@strata/errors';
import type { Pool } from '@strata/pool';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createBarrier } from './test-support/barrier.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import type { RetryInfo } from './transaction-options.js';
import { withTransaction } from './with-transaction.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('deadlock');
  pool = db.pool();
  await pool.query('CREATE TABLE rows (id int PRIMARY KEY, value int NOT NULL)');
  await pool.query('INSERT INTO rows VALUES (1, 0), (2, 0)');
});
afterAll(() => db?.drop());

test('a deadlock between two transactions is retried and both complete', async () => {
  const bothHoldFirstLock = createBarrier(2);
  const retries: RetryInfo[] = [];

  // Each takes one row, waits for the other to take the other row, then asks for it.
  const lockInOrder = (first: number, second: number) =>
    withTransaction(
      pool,
      async (tx) => {
        // Detect the deadlock quickly instead of after the default 1 s.
        await tx.query("SELECT set_config('deadlock_timeout', '50ms', true)");
        await tx.query('UPDATE rows SET value = value + 1 WHERE id = $1', [first]);
        if (tx.attempt === 1) await bothHoldFirstLock.arrive();
        await tx.query('UPDATE rows SET value = value + 1 WHERE id = $1', [second]);
        return tx.attempt;
      },
      { retryBackoff: { baseDelayMs: 1, maxDelayMs: 20 }, onRetry: (info) => void retries.push(info) },
    );

  const attempts = await Promise.all([lockInOrder(1, 2), lockInOrder(2, 1)]);

  expect(retries).toHaveLength(1);
  expect(retries[0]?.error).toBeInstanceOf(DeadlockDetectedError);
  expect(attempts.sort()).toEqual([1, 2]);
  const { rows } = await pool.query<{ id: number; value: number }>('SELECT id, value FROM rows ORDER BY id');
  expect(rows).toEqual([
    { id: 1, value: 2 },
    { id: 2, value: 2 },
  ]);
});
