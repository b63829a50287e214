import { InvalidConfigError } from '@strata/errors';
import type { Pool } from '@strata/pool';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { withAdvisoryLock } from './advisory-lock.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { AdvisoryLockUnavailableError } from './transaction-errors.js';
import { withTransaction } from './with-transaction.js';

let db: TestDatabase;
let pool: Pool;
let observer: pg.Client;

beforeAll(async () => {
  db = await createTestDatabase('advisory');
  pool = db.pool();
  observer = await db.client();
});
afterAll(() => db?.drop());

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** Whether another session could take the lock right now (it releases it at once). */
async function lockIsFree(key: number): Promise<boolean> {
  const { rows } = await observer.query<{ free: boolean }>('SELECT pg_try_advisory_lock($1::int8) AS free', [
    key,
  ]);
  if (rows[0]?.free) await observer.query('SELECT pg_advisory_unlock($1::int8)', [key]);
  return rows[0]?.free === true;
}

/** Resolves once some session is waiting for an advisory lock. */
async function someoneWaitsForAdvisoryLock(): Promise<void> {
  for (;;) {
    const { rows } = await observer.query(
      "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('withAdvisoryLock', () => {
  test("mode 'wait', transaction scope: a second caller on another connection waits until the first transaction ends", async () => {
    const events: string[] = [];
    const holdFirst = gate();
    const first = withAdvisoryLock(pool, 101, async () => {
      events.push('first has the lock');
      await holdFirst.opened;
      events.push('first done');
    });
    while (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    const second = withAdvisoryLock(pool, 101, async (tx) => {
      events.push('second has the lock');
      return (await tx.query<{ one: number }>('SELECT 1 AS one')).rows[0]?.one;
    });
    await someoneWaitsForAdvisoryLock();
    expect(events).toEqual(['first has the lock']);

    holdFirst.open();
    await first;
    expect(await second).toBe(1);
    expect(events).toEqual(['first has the lock', 'first done', 'second has the lock']);
    expect(await lockIsFree(101)).toBe(true);
  });

  test("mode 'try' fails at once with AdvisoryLockUnavailableError while another session holds the lock", async () => {
    const holdFirst = gate();
    let firstHasLock = false;
    const first = withAdvisoryLock(pool, 102, async () => {
      firstHasLock = true;
      await holdFirst.opened;
    });
    while (!firstHasLock) await new Promise((resolve) => setTimeout(resolve, 5));

    let ran = false;
    const attempt = withAdvisoryLock(
      pool,
      102,
      () => {
        ran = true;
      },
      { mode: 'try' },
    );
    await expect(attempt).rejects.toBeInstanceOf(AdvisoryLockUnavailableError);
    expect(ran).toBe(false);

    holdFirst.open();
    await first;
    await expect(withAdvisoryLock(pool, 102, () => 'got it', { mode: 'try' })).resolves.toBe('got it');
  });

  test('session scope holds the lock on its own connection until fn settles, also when fn throws; pool queries in fn use that connection', async () => {
    await withAdvisoryLock(
      pool,
      103,
      async () => {
        expect(await lockIsFree(103)).toBe(false);
        const { rows } = await pool.query<{ holder: boolean }>(
          "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = 103 AND pid = pg_backend_pid()) AS holder",
        );
        expect(rows[0]?.holder).toBe(true);
      },
      { scope: 'session' },
    );
    expect(await lockIsFree(103)).toBe(true);

    await expect(
      withAdvisoryLock(
        pool,
        103,
        () => {
          throw new Error('job failed');
        },
        { scope: 'session' },
      ),
    ).rejects.toThrow('job failed');
    expect(await lockIsFree(103)).toBe(true);
  });

  test('inside an open transaction, a transaction-scoped lock joins it and lasts until that transaction ends', async () => {
    await withTransaction(pool, async (tx) => {
      const value = await withAdvisoryLock(pool, 104, async (inner) => {
        expect(inner).toBe(tx);
        return 'locked';
      });
      expect(value).toBe('locked');
      expect(await lockIsFree(104)).toBe(false);
    });
    expect(await lockIsFree(104)).toBe(true);
  });

  test('string keys and pairs of integers are distinct keys; bad keys are rejected', async () => {
    const seen: string[] = [];
    await withAdvisoryLock(pool, 'nightly-report', () =>
      withAdvisoryLock(
        pool,
        [7, 8],
        async () => {
          seen.push('both');
        },
        { mode: 'try' },
      ),
    );
    expect(seen).toEqual(['both']);
    await expect(withAdvisoryLock(pool, 1.5, () => {})).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(withAdvisoryLock(pool, [1, 2 ** 40] as const, () => {})).rejects.toThrow(/key/);
  });
});
