import {
  CheckViolationError,
  ConnectionError,
  DatabaseError,
  DeadlockDetectedError,
  ForeignKeyViolationError,
  LockNotAvailableError,
  NotNullViolationError,
  SerializationFailureError,
  StatementTimeoutError,
  StrataError,
  UniqueViolationError,
} from '@strata/errors';
import type { Knex } from 'knex';
import { Model } from 'objection';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import { createDatabase, withAdmin } from './test-support/test-database.js';

// Errors raised by a real server must arrive as Strata's typed errors whichever way the
// statement was sent: raw SQL (pg), Knex, or an Objection model.

class Author extends Model {
  static override tableName = 'authors';
}
class Book extends Model {
  static override tableName = 'books';
}

let url: string;
let pool: Pool;
let lockPool: Pool;
let timeoutPool: Pool;
let Authors: typeof Author;
let Books: typeof Book;

beforeAll(async () => {
  url = await createDatabase('typed_errors');
  const config = { connectionString: url, max: 4, min: 0 };
  pool = createPool(config, { environment: {} });
  lockPool = createPool({ ...config, lockTimeout: 100 }, { environment: {} });
  timeoutPool = createPool({ ...config, statementTimeout: 100 }, { environment: {} });
  await pool.query(`
    CREATE TABLE authors (
      id int PRIMARY KEY,
      email text NOT NULL UNIQUE,
      age int CONSTRAINT authors_age_check CHECK (age >= 0)
    );
    CREATE TABLE books (id int PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id), title text);
    INSERT INTO authors (id, email, age) SELECT g, 'author' || g || '@example.com', 40 FROM generate_series(1, 20) AS g;
  `);
  Authors = pool.bindModel(Author);
  Books = pool.bindModel(Book);
});
afterAll(async () => {
  await Promise.all([pool.close(), lockPool.close(), timeoutPool.close()]);
});

async function failure(work: () => PromiseLike<unknown>): Promise<StrataError> {
  try {
    await work();
  } catch (error) {
    expect(error).toBeInstanceOf(StrataError);
    expect((error as StrataError).cause).toBeDefined();
    return error as StrataError;
  }
  throw new Error('expected the statement to fail');
}

type Path = 'pg' | 'knex' | 'objection';
const paths: Path[] = ['pg', 'knex', 'objection'];

describe.each(paths)('through %s', (path) => {
  // Distinct ids per path so the three runs never collide with each other.
  const base = { pg: 100, knex: 200, objection: 300 }[path];

  const insertAuthor = (row: Record<string, unknown>, into: Pool = pool) => {
    if (path === 'pg') {
      const columns = Object.keys(row);
      return into.query(
        `INSERT INTO authors (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        Object.values(row),
      );
    }
    if (path === 'knex') return into.knex('authors').insert(row);
    return into.bindModel(Author).query().insert(row);
  };

  test('unique violation (23505) carries constraint, table and columns, and no values in the message', async () => {
    const error = await failure(() => insertAuthor({ id: base + 1, email: 'author1@example.com' }));
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect(error).toMatchObject({
      code: 'UNIQUE_VIOLATION',
      sqlState: '23505',
      constraint: 'authors_email_key',
      table: 'authors',
      columns: ['email'],
    });
    expect(error.message).not.toMatch(/author1@example\.com|insert into/i);
  });

  test('foreign key violation (23503)', async () => {
    const row = { id: base + 2, author_id: 999_999, title: 'Orphan' };
    const error = await failure(() =>
      path === 'pg'
        ? pool.query('INSERT INTO books (id, author_id, title) VALUES ($1, $2, $3)', [
            row.id,
            row.author_id,
            row.title,
          ])
        : path === 'knex'
          ? pool.knex('books').insert(row)
          : Books.query().insert(row),
    );
    expect(error).toBeInstanceOf(ForeignKeyViolationError);
    expect(error).toMatchObject({
      code: 'FOREIGN_KEY_VIOLATION',
      constraint: 'books_author_id_fkey',
      table: 'books',
      columns: ['author_id'],
    });
  });

  test('not null violation (23502) names the column', async () => {
    const error = await failure(() => insertAuthor({ id: base + 3, email: null }));
    expect(error).toBeInstanceOf(NotNullViolationError);
    expect(error).toMatchObject({
      code: 'NOT_NULL_VIOLATION',
      table: 'authors',
      column: 'email',
      columns: ['email'],
    });
  });

  test('check violation (23514)', async () => {
    const error = await failure(() =>
      insertAuthor({ id: base + 4, email: `check${path}@example.com`, age: -1 }),
    );
    expect(error).toBeInstanceOf(CheckViolationError);
    expect(error).toMatchObject({
      code: 'CHECK_VIOLATION',
      constraint: 'authors_age_check',
      table: 'authors',
    });
  });

  /** What the transactional tests do, expressed for the path under test. */
  interface Session {
    readAge(id: number): PromiseLike<unknown>;
    bumpAge(id: number): PromiseLike<unknown>;
    lock(id: number): PromiseLike<unknown>;
    shortenDeadlockTimeout(): PromiseLike<unknown>;
  }

  async function inTransaction(
    isolationLevel: 'read committed' | 'repeatable read',
    steps: (session: Session) => Promise<void>,
  ): Promise<void> {
    if (path === 'pg') {
      const client = await pool.connect();
      try {
        await client.query(`BEGIN ISOLATION LEVEL ${isolationLevel.toUpperCase()}`);
        await steps({
          readAge: (id) => client.query('SELECT age FROM authors WHERE id = $1', [id]),
          bumpAge: (id) => client.query('UPDATE authors SET age = age + 1 WHERE id = $1', [id]),
          lock: (id) => client.query('SELECT id FROM authors WHERE id = $1 FOR UPDATE', [id]),
          shortenDeadlockTimeout: () => client.query("SET LOCAL deadlock_timeout = '50ms'"),
        });
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      return;
    }
    await pool.knex.transaction(
      async (trx: Knex.Transaction) => {
        const shortenDeadlockTimeout = () => trx.raw("SET LOCAL deadlock_timeout = '50ms'");
        await steps(
          path === 'knex'
            ? {
                readAge: (id) => trx('authors').select('age').where({ id }),
                bumpAge: (id) => trx('authors').increment('age', 1).where({ id }),
                lock: (id) => trx('authors').select('id').where({ id }).forUpdate(),
                shortenDeadlockTimeout,
              }
            : {
                readAge: (id) => Authors.query(trx).findById(id),
                bumpAge: (id) => Authors.query(trx).increment('age', 1).where({ id }),
                lock: (id) => Authors.query(trx).findById(id).forUpdate(),
                shortenDeadlockTimeout,
              },
        );
      },
      { isolationLevel },
    );
  }

  test('serialization failure (40001) is retryable', async () => {
    const id = 1 + paths.indexOf(path);
    const error = await failure(() =>
      inTransaction('repeatable read', async (session) => {
        await session.readAge(id); // takes the snapshot
        await withAdmin((admin) => admin.query('UPDATE authors SET age = age + 1 WHERE id = $1', [id]), url);
        await session.bumpAge(id);
      }),
    );
    expect(error).toBeInstanceOf(SerializationFailureError);
    expect(error).toMatchObject({ code: 'SERIALIZATION_FAILURE', sqlState: '40001', retryable: true });
  });

  test('deadlock (40P01) is retryable', async () => {
    const first = 4 + 2 * paths.indexOf(path);
    const second = first + 1;
    const error = await withAdmin(async (other) => {
      const otherPid = (await other.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      // The other session keeps a long deadlock_timeout, so the deadlock is always detected
      // (and broken) in the session under test.
      await other.query('BEGIN');
      await other.query("SET LOCAL deadlock_timeout = '10s'");
      try {
        return await failure(() =>
          inTransaction('read committed', async (session) => {
            await session.shortenDeadlockTimeout();
            await session.lock(first);
            await other.query('SELECT id FROM authors WHERE id = $1 FOR UPDATE', [second]);
            void other.query('SELECT id FROM authors WHERE id = $1 FOR UPDATE', [first]);
            await waitUntilWaitingForLock(otherPid);
            await session.lock(second);
          }),
        );
      } finally {
        await other.query('ROLLBACK');
      }
    }, url);
    expect(error).toBeInstanceOf(DeadlockDetectedError);
    expect(error).toMatchObject({ code: 'DEADLOCK_DETECTED', sqlState: '40P01', retryable: true });
  });

  test('lock not available (55P03) under lock_timeout', async () => {
    const id = 8 + paths.indexOf(path);
    const error = await withAdmin(async (holder) => {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM authors WHERE id = $1 FOR UPDATE', [id]);
      try {
        return await failure(() =>
          path === 'pg'
            ? lockPool.query('UPDATE authors SET age = 1 WHERE id = $1', [id])
            : path === 'knex'
              ? lockPool.knex('authors').where({ id }).update({ age: 1 })
              : lockPool.bindModel(Author).query().patch({ age: 1 }).where({ id }),
        );
      } finally {
        await holder.query('ROLLBACK');
      }
    }, url);
    expect(error).toBeInstanceOf(LockNotAvailableError);
    expect(error).toMatchObject({ code: 'LOCK_NOT_AVAILABLE', sqlState: '55P03' });
  });

  test('statement timeout (57014)', async () => {
    const error = await failure(() =>
      path === 'pg'
        ? timeoutPool.query('SELECT pg_sleep(5)')
        : path === 'knex'
          ? timeoutPool.knex.raw('SELECT pg_sleep(5)')
          : timeoutPool.bindModel(Author).query().select(Author.raw('pg_sleep(5)')).where({ id: 1 }),
    );
    expect(error).toBeInstanceOf(StatementTimeoutError);
    expect(error).toMatchObject({ code: 'STATEMENT_TIMEOUT', sqlState: '57014' });
  });

  test('losing the connection (pg_terminate_backend) is a ConnectionError, and the pool drops that connection', async () => {
    const marker = `pg_sleep(${{ pg: 10.1, knex: 10.2, objection: 10.3 }[path]})`;
    const destroyedBefore = pool.stats().destroyed;
    const pending = failure(() =>
      path === 'pg'
        ? pool.query(`SELECT ${marker}`)
        : path === 'knex'
          ? pool.knex.raw(`SELECT ${marker}`)
          : Authors.query().select(Authors.raw(marker)).where({ id: 1 }),
    );
    await withAdmin(async (admin) => {
      for (;;) {
        const { rows } = await admin.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid() AND state = 'active'",
          [`%${marker}%`],
        );
        if (rows.length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }, url);
    const error = await pending;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'CONNECTION_ERROR' });
    expect(pool.stats().destroyed).toBe(destroyedBefore + 1);
    await expect(pool.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  test('other SQLSTATEs arrive as a plain DatabaseError with the SQLSTATE', async () => {
    const error = await failure(() =>
      path === 'pg'
        ? pool.query('SELECT * FROM no_such_table')
        : path === 'knex'
          ? pool.knex('no_such_table')
          : Authors.query().from('no_such_table'),
    );
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState: '42P01' });
  });
});

async function waitUntilWaitingForLock(pid: number | undefined): Promise<void> {
  await withAdmin(async (admin) => {
    for (;;) {
      const { rows } = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
        [pid],
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }, url);
}
