import { SessionFeatureUnsupportedError, StatementTimeoutError } from '@strata/errors';
import { databaseUrl, startTestPgBouncer } from '@strata/local-postgres/test-database';
import type { Pool, PoolConfigInput } from '@strata/pool';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withAdvisoryLock } from './advisory-lock.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { withTransaction } from './with-transaction.js';

// Real PgBouncers in front of the test server; skipped without PgBouncer unless CI=true.
const transactionMode = await startTestPgBouncer({
  poolMode: 'transaction',
  settings: { default_pool_size: 4 },
});
const sessionMode = await startTestPgBouncer({ poolMode: 'session' });
const skip = transactionMode === undefined || sessionMode === undefined;

let db: TestDatabase;
beforeAll(async () => {
  if (skip) return;
  db = await createTestDatabase('pgbouncer');
  await db
    .pool()
    .query(
      'CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL); INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 50) AS g',
    );
});
afterAll(async () => {
  await db?.drop();
  await Promise.all([transactionMode?.stop(), sessionMode?.stop()]);
});

function poolThrough(mode: 'transaction' | 'session', config: PoolConfigInput = {}): Pool {
  const bouncer = mode === 'transaction' ? transactionMode : sessionMode;
  const pool = db.pool({
    connectionString: databaseUrl(bouncer?.url as string, db.name),
    max: 12,
    ...config,
  });
  pool.on('pgbouncer', () => {});
  return pool;
}

/** Moves 1 between two accounts in a transaction, `count` times from each of `callers` callers. */
async function transfers(pool: Pool, callers: number, count: number): Promise<unknown[]> {
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; i < count; i++) {
        const from = ((caller * count + i) % 50) + 1;
        await withTransaction(pool, async (tx) => {
          await tx.query('SELECT balance FROM accounts WHERE id = $1', [from]);
          await tx.query('UPDATE accounts SET balance = balance - 1 WHERE id = $1', [from]);
          await tx
            .knex('accounts')
            .where({ id: (from % 50) + 1 })
            .increment('balance', 1);
        }).catch((error: unknown) => errors.push(error));
      }
    }),
  );
  return errors;
}

describe.skipIf(skip).each(['transaction', 'session'] as const)('behind PgBouncer in %s mode', (mode) => {
  test('concurrent withTransaction calls with default settings have no errors', async () => {
    const pool = poolThrough(mode);
    expect(await transfers(pool, 12, 15)).toEqual([]);
    const { rows } = await pool.query<{ total: number }>('SELECT sum(balance)::int AS total FROM accounts');
    expect(rows).toEqual([{ total: 5_000 }]);
  });

  test("the pool's statementTimeout holds inside withTransaction", async () => {
    const pool = poolThrough(mode, { statementTimeout: 1_000 });
    await expect(withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(2)'))).rejects.toBeInstanceOf(
      StatementTimeoutError,
    );
  });
});

describe.skipIf(skip)('advisory locks behind PgBouncer in transaction mode', () => {
  test("scope 'session' fails with SessionFeatureUnsupportedError, before taking anything", async () => {
    const pool = poolThrough('transaction');
    await pool.ready();
    let ran = false;
    const locked = withAdvisoryLock(
      pool,
      7,
      () => {
        ran = true;
      },
      { scope: 'session' },
    );
    await expect(locked).rejects.toBeInstanceOf(SessionFeatureUnsupportedError);
    await expect(locked).rejects.toThrow(/scope 'transaction'/);
    expect(ran).toBe(false);
    expect(pool.stats().active).toBe(0);
  });

  test("scope 'transaction' works", async () => {
    const pool = poolThrough('transaction');
    expect(await withAdvisoryLock(pool, 7, () => 'done')).toBe('done');
  });
});
