import { InvalidConfigError, SerializationFailureError, StatementTimeoutError } from '@strata/errors';
import type { Pool } from '@strata/pool';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import type { Transaction } from './transaction.js';
import {
  AfterCommitHookError,
  NoTransactionError,
  TransactionAbortedError,
  TransactionClosedError,
  TransactionRetriesExhaustedError,
} from './transaction-errors.js';
import type { RetryInfo, TransactionOptions } from './transaction-options.js';
import { createWithTransaction, currentTransaction, withTransaction } from './with-transaction.js';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('basics');
  pool = db.pool();
  await pool.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL UNIQUE)');
  await pool.query('CREATE TABLE counters (id int PRIMARY KEY, value int NOT NULL)');
});
afterAll(() => db?.drop());
beforeEach(async () => {
  await pool.query('TRUNCATE notes');
  await pool.query('TRUNCATE counters');
});

const bodies = async () =>
  (await pool.query<{ body: string }>('SELECT body FROM notes ORDER BY id')).rows.map((r) => r.body);

describe('withTransaction(pool, fn)', () => {
  test('commits when the callback resolves and returns its value', async () => {
    const result = await withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO notes (body) VALUES ($1)', ['a']);
      await tx.query('INSERT INTO notes (body) VALUES ($1)', ['b']);
      return 'done';
    });
    expect(result).toBe('done');
    expect(await bodies()).toEqual(['a', 'b']);
  });

  test('rolls back when the callback throws and rethrows the very same error', async () => {
    const failure = new Error('business rule broken');
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO notes (body) VALUES ($1)', ['a']);
      throw failure;
    });
    await expect(outcome).rejects.toBe(failure);
    expect(await bodies()).toEqual([]);
  });

  test('starts the transaction with the requested isolation level, access mode and deferrable', async () => {
    const settings = await withTransaction(
      pool,
      async (tx) =>
        (
          await tx.query<{ isolation: string; readOnly: string; deferrable: string }>(
            "SELECT current_setting('transaction_isolation') AS isolation, current_setting('transaction_read_only') AS \"readOnly\", current_setting('transaction_deferrable') AS deferrable",
          )
        ).rows[0],
      { isolationLevel: 'serializable', readOnly: true, deferrable: true },
    );
    expect(settings).toEqual({ isolation: 'serializable', readOnly: 'on', deferrable: 'on' });
    await expect(
      withTransaction(pool, (tx) => tx.query("INSERT INTO notes (body) VALUES ('x')"), { readOnly: true }),
    ).rejects.toMatchObject({ sqlState: '25006' });
  });

  test('timeoutMs sets statement and idle-in-transaction timeouts for this transaction only', async () => {
    const inside = await withTransaction(
      pool,
      async (tx) =>
        (
          await tx.query<{ statement: string; idle: string }>(
            "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle",
          )
        ).rows[0],
      { timeoutMs: 1500 },
    );
    expect(inside).toEqual({ statement: '1500ms', idle: '1500ms' });
    const client = await pool.connect();
    try {
      const after = await client.query<{ statement: string }>(
        "SELECT current_setting('statement_timeout') AS statement",
      );
      expect(after.rows[0]?.statement).not.toBe('1500ms');
    } finally {
      client.release();
    }
    await expect(
      withTransaction(pool, (tx) => tx.query('SELECT pg_sleep(30)'), { timeoutMs: 100 }),
    ).rejects.toBeInstanceOf(StatementTimeoutError);
  });

  test('invalid options are rejected with one error naming every bad field', async () => {
    // What untyped (JavaScript) callers can pass: a level PostgreSQL lacks and a typo.
    const options = {
      isolationLevel: 'snapshot',
      maxAttempts: 0,
      deferrable: true,
      isolation: 'serializable',
    } as unknown as TransactionOptions;
    const outcome = withTransaction(pool, async () => 1, options);
    await expect(outcome).rejects.toBeInstanceOf(InvalidConfigError);
    const error = (await outcome.catch((e: unknown) => e)) as InvalidConfigError;
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'deferrable',
      'isolation',
      'isolationLevel',
      'maxAttempts',
    ]);
    expect(error.message).toMatch(/isolation: is not a withTransaction option/);
    expect(() => createWithTransaction(pool, { timeoutMs: -5 })).toThrow(/timeoutMs/);
  });

  test('a statement error swallowed inside the callback still rolls back, with TransactionAbortedError', async () => {
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query('INSERT INTO notes (body) VALUES ($1)', ['a']);
      await tx.query('INSERT INTO notes (body) VALUES ($1)', ['a']).catch(() => 'ignored');
    });
    await expect(outcome).rejects.toBeInstanceOf(TransactionAbortedError);
    expect(await bodies()).toEqual([]);
  });

  test('a transaction cannot be used after it ended', async () => {
    let leaked: Transaction | undefined;
    await withTransaction(pool, (tx) => {
      leaked = tx;
    });
    await expect(leaked?.query('SELECT 1')).rejects.toBeInstanceOf(TransactionClosedError);
    expect(() => leaked?.afterCommit(() => {})).toThrow(TransactionClosedError);
    expect(leaked?.isOpen).toBe(false);
  });

  test('withTransaction(fn) without a target needs an open transaction', async () => {
    await expect(withTransaction(async () => 1)).rejects.toBeInstanceOf(NoTransactionError);
    const depth = await withTransaction(pool, () => withTransaction(async (tx) => tx.depth));
    expect(depth).toBe(1);
  });

  test('createWithTransaction binds a target and defaults that per-call options override', async () => {
    const serializable = createWithTransaction(pool, { isolationLevel: 'serializable' });
    const level = (tx: Transaction) =>
      tx
        .query<{ level: string }>("SELECT current_setting('transaction_isolation') AS level")
        .then((r) => r.rows[0]?.level);
    expect(await serializable(level)).toBe('serializable');
    expect(await serializable(level, { isolationLevel: 'repeatable read' })).toBe('repeatable read');
  });

  test('currentTransaction() finds the open transaction for a pool, and nothing outside one', async () => {
    expect(currentTransaction(pool)).toBeUndefined();
    await withTransaction(pool, async (tx) => {
      expect(currentTransaction(pool)).toBe(tx);
      expect(currentTransaction()).toBe(tx);
    });
  });
});

describe('retries', () => {
  // A deterministic serialization failure: this transaction reads a row under REPEATABLE
  // READ, another session commits a change to it, then this one tries to update it.
  async function conflictingUpdate(tx: Transaction, interferer: { query(text: string): Promise<unknown> }) {
    await tx.query('SELECT value FROM counters WHERE id = 1');
    await interferer.query('UPDATE counters SET value = value + 100 WHERE id = 1');
    await tx.query('UPDATE counters SET value = value + 1 WHERE id = 1');
  }

  test('a serialization failure reruns the whole callback, and onRetry hears about it', async () => {
    await pool.query('INSERT INTO counters VALUES (1, 0)');
    const interferer = await db.client();
    const retries: RetryInfo[] = [];
    const attempts: number[] = [];
    const result = await withTransaction(
      pool,
      async (tx) => {
        attempts.push(tx.attempt);
        if (tx.attempt === 1) await conflictingUpdate(tx, interferer);
        else await tx.query('UPDATE counters SET value = value + 1 WHERE id = 1');
        return tx.attempt;
      },
      { isolationLevel: 'repeatable read', onRetry: (info) => void retries.push(info) },
    );
    expect(result).toBe(2);
    expect(attempts).toEqual([1, 2]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ attempt: 1, maxAttempts: 3 });
    expect(retries[0]?.error).toBeInstanceOf(SerializationFailureError);
    const { rows } = await pool.query<{ value: number }>('SELECT value FROM counters WHERE id = 1');
    expect(rows[0]?.value).toBe(101);
  });

  test('when every attempt fails, the error says how many ran and keeps the typed error as cause', async () => {
    await pool.query('INSERT INTO counters VALUES (1, 0)');
    const interferer = await db.client();
    let runs = 0;
    const outcome = withTransaction(
      pool,
      async (tx) => {
        runs++;
        await conflictingUpdate(tx, interferer);
      },
      { isolationLevel: 'repeatable read', maxAttempts: 2, retryBackoff: { baseDelayMs: 1, maxDelayMs: 5 } },
    );
    const error = await outcome.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionRetriesExhaustedError);
    expect((error as TransactionRetriesExhaustedError).attempts).toBe(2);
    expect((error as Error).message).toMatch(/all 2 attempts/);
    expect((error as Error).cause).toBeInstanceOf(SerializationFailureError);
    expect(runs).toBe(2);
  });

  test('errors that are not serialization failures or deadlocks are never retried', async () => {
    let runs = 0;
    await expect(
      withTransaction(pool, async (tx) => {
        runs++;
        await tx.query("INSERT INTO notes (body) VALUES ('dup'), ('dup')");
      }),
    ).rejects.toMatchObject({ code: 'UNIQUE_VIOLATION' });
    expect(runs).toBe(1);
  });

  test('a serialization failure inside a savepoint reruns the outermost transaction, even if caught', async () => {
    await pool.query('INSERT INTO counters VALUES (1, 0)');
    const interferer = await db.client();
    const attempts: number[] = [];
    await withTransaction(
      pool,
      async (tx) => {
        attempts.push(tx.attempt);
        if (tx.attempt === 1) {
          await tx.withTransaction((inner) => conflictingUpdate(inner, interferer)).catch(() => 'swallowed');
        }
      },
      { isolationLevel: 'repeatable read' },
    );
    expect(attempts).toEqual([1, 2]);
  });
});

describe('rollback failures and broken connections', () => {
  test('a failed ROLLBACK is attached to the original error, which is still what the caller gets, and the connection is closed', async () => {
    const removed: number[] = [];
    pool.on('remove', ({ processId }) => removed.push(processId));
    const admin = await db.client();
    const failure = new Error('the business rule that made us roll back');
    let pid = 0;
    const outcome = withTransaction(pool, async (tx) => {
      const { rows } = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      pid = rows[0]?.pid ?? 0;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      throw failure;
    });
    const error = (await outcome.catch((e: unknown) => e)) as Error & { rollbackError?: unknown };
    expect(error).toBe(failure);
    expect(error.rollbackError).toBeInstanceOf(Error);
    expect(removed).toContain(pid);
    // The pool keeps working with a fresh connection.
    expect((await withTransaction(pool, (tx) => tx.query('SELECT 1 AS one'))).rows[0]).toEqual({ one: 1 });
  });
});

describe('hooks', () => {
  test('afterCommit runs after COMMIT (and sees committed data); afterRollback does not', async () => {
    const seen: string[] = [];
    await withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO notes (body) VALUES ('a')");
      tx.afterCommit(async () => {
        const { rows } = await pool.query('SELECT count(*)::int AS n FROM notes');
        seen.push(`commit:${rows[0]?.n}`);
      });
      tx.afterRollback(() => void seen.push('rollback'));
    });
    expect(seen).toEqual(['commit:1']);
  });

  test('afterRollback runs on rollback; afterCommit never does', async () => {
    const seen: string[] = [];
    await expect(
      withTransaction(pool, async (tx) => {
        tx.afterCommit(() => void seen.push('commit'));
        tx.afterRollback(() => void seen.push('rollback'));
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(seen).toEqual(['rollback']);
  });

  test('a failing afterCommit hook reports that the data is committed; the other hooks still run', async () => {
    const seen: string[] = [];
    const outcome = withTransaction(pool, async (tx) => {
      await tx.query("INSERT INTO notes (body) VALUES ('kept')");
      tx.afterCommit(() => {
        throw new Error('mailer down');
      });
      tx.afterCommit(() => void seen.push('second hook'));
      return 42;
    });
    const error = (await outcome.catch((e: unknown) => e)) as AfterCommitHookError;
    expect(error).toBeInstanceOf(AfterCommitHookError);
    expect(error.message).toMatch(/committed/);
    expect(error.result).toBe(42);
    expect(seen).toEqual(['second hook']);
    expect(await bodies()).toEqual(['kept']);
  });
});
