import { InvalidConfigError } from '@strata/errors';
import type { Pool } from '@strata/pool';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { ConcurrentSavepointError, TransactionAbortedError } from './transaction-errors.js';
import { withTransaction } from './with-transaction.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('savepoints');
  pool = db.pool();
  await pool.query('CREATE TABLE items (name text PRIMARY KEY)');
});
afterAll(() => db?.drop());
beforeEach(() => pool.query('TRUNCATE items'));

const names = async () =>
  (await pool.query<{ name: string }>('SELECT name FROM items ORDER BY name')).rows.map((r) => r.name);
const insert = (db: { query(text: string, values: unknown[]): Promise<unknown> }, name: string) =>
  db.query('INSERT INTO items (name) VALUES ($1)', [name]);

describe('nested withTransaction (savepoints)', () => {
  test('an inner failure rolls back only the inner work; the outer transaction continues and commits', async () => {
    const innerFailure = new Error('inner failed');
    await withTransaction(pool, async (tx) => {
      await insert(tx, 'outer-before');
      const caught = await withTransaction(pool, async (inner) => {
        expect(inner.depth).toBe(1);
        await insert(inner, 'inner');
        throw innerFailure;
      }).catch((error: unknown) => error);
      expect(caught).toBe(innerFailure);
      await insert(tx, 'outer-after');
    });
    expect(await names()).toEqual(['outer-after', 'outer-before']);
  });

  test('a successful inner block commits with the outer transaction, and not before', async () => {
    const observer = await db.client();
    await withTransaction(pool, async (tx) => {
      await tx.withTransaction((inner) => insert(inner, 'inner'));
      const { rows } = await observer.query('SELECT count(*)::int AS n FROM items');
      expect(rows[0]?.n).toBe(0);
    });
    expect(await names()).toEqual(['inner']);
  });

  test('an outer rollback also discards inner blocks that succeeded', async () => {
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.withTransaction((inner) => insert(inner, 'inner'));
        throw new Error('outer failed');
      }),
    ).rejects.toThrow('outer failed');
    expect(await names()).toEqual([]);
  });

  test('savepoints nest to any depth', async () => {
    await withTransaction(pool, (a) =>
      a.withTransaction(async (b) => {
        await insert(b, 'b');
        await b
          .withTransaction(async (c) => {
            expect(c.depth).toBe(2);
            await insert(c, 'c');
            throw new Error('c failed');
          })
          .catch(() => {});
        await b.withTransaction((c) => insert(c, 'c2'));
      }),
    );
    expect(await names()).toEqual(['b', 'c2']);
  });

  test('a failed statement caught inside a savepoint gives TransactionAbortedError there; the outer transaction is unharmed', async () => {
    await withTransaction(pool, async (tx) => {
      await insert(tx, 'a');
      const outcome = tx.withTransaction(async (inner) => {
        await insert(inner, 'a').catch(() => 'swallowed');
      });
      await expect(outcome).rejects.toBeInstanceOf(TransactionAbortedError);
      await insert(tx, 'b');
    });
    expect(await names()).toEqual(['a', 'b']);
  });

  test('a savepoint cannot ask for a stronger isolation level or another access mode', async () => {
    await withTransaction(pool, async (tx) => {
      await expect(
        tx.withTransaction(async () => {}, { isolationLevel: 'serializable' }),
      ).rejects.toBeInstanceOf(InvalidConfigError);
      await expect(tx.withTransaction(async () => {}, { readOnly: true })).rejects.toThrow(/read-only/);
      // Options that belong to the outermost transaction are accepted and ignored.
      await tx.withTransaction(async () => {}, { maxAttempts: 5, isolationLevel: 'read committed' });
    });
  });

  test('two savepoints of one transaction cannot run at the same time', async () => {
    await withTransaction(pool, async (tx) => {
      const first = tx.withTransaction(() => tx.query('SELECT pg_sleep(0.05)'));
      await expect(tx.withTransaction(async () => {})).rejects.toBeInstanceOf(ConcurrentSavepointError);
      await first;
    });
  });

  test('Knex transactions inside a Strata transaction nest as savepoints (tx.knex and pool.knex)', async () => {
    await withTransaction(pool, async (tx) => {
      await tx.knex
        .transaction(async (trx) => {
          await trx('items').insert({ name: 'knex-inner' });
          throw new Error('knex inner failed');
        })
        .catch(() => {});
      await pool.knex.transaction(async (trx) => {
        await trx('items').insert({ name: 'pool-knex-inner' });
      });
      await tx.knex('items').insert({ name: 'outer' });
    });
    expect(await names()).toEqual(['outer', 'pool-knex-inner']);
  });
});

describe('hooks and savepoints', () => {
  test('hooks run only after the outermost COMMIT; a rolled-back savepoint drops its afterCommit hooks', async () => {
    const seen: string[] = [];
    await withTransaction(pool, async (tx) => {
      tx.afterCommit(() => void seen.push('outer commit'));
      await tx.withTransaction(async (inner) => {
        inner.afterCommit(() => void seen.push('released savepoint commit'));
      });
      await tx
        .withTransaction(async (inner) => {
          inner.afterCommit(() => void seen.push('rolled-back savepoint commit'));
          inner.afterRollback(() => void seen.push('rolled-back savepoint rollback'));
          throw new Error('inner failed');
        })
        .catch(() => {});
      expect(seen).toEqual([]);
    });
    // The rolled-back savepoint's work never committed, so its afterRollback hook runs too.
    expect(seen).toEqual(['outer commit', 'released savepoint commit', 'rolled-back savepoint rollback']);
  });

  test('when the outermost transaction rolls back, every afterRollback hook runs (in order) and no afterCommit hook', async () => {
    const seen: string[] = [];
    await expect(
      withTransaction(pool, async (tx) => {
        tx.afterRollback(() => void seen.push('outer'));
        await tx.withTransaction(async (inner) => {
          inner.afterCommit(() => void seen.push('never'));
          inner.afterRollback(() => void seen.push('inner'));
        });
        throw new Error('outer failed');
      }),
    ).rejects.toThrow('outer failed');
    expect(seen).toEqual(['outer', 'inner']);
  });
});
