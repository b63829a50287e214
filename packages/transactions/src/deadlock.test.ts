import { DeadlockDetectedError } from '@strata/errors';
import type { Pool } from '@strata/pool';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { provokeDeadlock } from './test-support/deadlock.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import type { RetryInfo } from './transaction-options.js';

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
  await pool.query('UPDATE rows SET value = 0');
  const retries: RetryInfo[] = [];
  const attempts = await provokeDeadlock(pool, { onRetry: (info) => void retries.push(info) });

  expect(retries).toHaveLength(1);
  expect(retries[0]?.error).toBeInstanceOf(DeadlockDetectedError);
  expect(attempts.sort()).toEqual([1, 2]);
  const { rows } = await pool.query<{ id: number; value: number }>('SELECT id, value FROM rows ORDER BY id');
  expect(rows).toEqual([
    { id: 1, value: 2 },
    { id: 2, value: 2 },
  ]);
});
