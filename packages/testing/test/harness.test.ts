import { withTransaction } from '@strata/transactions';
import { describe, expect, inject } from 'vitest';
import { captureQueries } from '../src/capture-queries.js';
import { assertNoConnectionLeak, ConnectionLeakError } from '../src/connection-leak.js';
import { defineFactory } from '../src/define-factory.js';
import { expectQueries, QueryCountError } from '../src/expect-queries.js';
import { assertNoNPlusOne, NPlusOneQueryError } from '../src/repeated-queries.js';
import { test } from '../src/vitest.js';

const count = async (db: { query: (text: string) => Promise<{ rows: Record<string, unknown>[] }> }) =>
  Number((await db.query('select count(*)::int as n from users')).rows[0]?.n);

describe('the db fixture', () => {
  test('starts from the migrated and seeded template, in this worker’s own database', async ({ db }) => {
    const { rows } = await db.query<{ database: string }>('select current_database() as database');
    // Named by the run and the worker slot, not the file: every file this worker runs shares it.
    const prefix = inject('strataWorkerDatabasePrefix');
    expect(prefix).toMatch(/^strata_test_[0-9a-f]{8}_w$/);
    expect(rows[0]?.database).toBe(`${prefix}${process.env.VITEST_POOL_ID}`);
    expect((await db.query('select email from users')).rows).toEqual([{ email: 'seed@example.com' }]);
  });

  test('a test’s writes are rolled back afterwards (1/2: write)', async ({ db }) => {
    await db.query('insert into users (email, name) values ($1, $2)', ['temp@example.com', 'Temp']);
    expect(await count(db)).toBe(2);
  });

  test('a test’s writes are rolled back afterwards (2/2: gone)', async ({ db }) => {
    expect(await count(db)).toBe(1);
  });

  test('Knex through the pool joins the same rolled-back transaction', async ({ db }) => {
    await db.knex('users').insert({ email: 'knex@example.com', name: 'Knex' });
    expect(await count(db)).toBe(2);
  });

  test('code that opens its own transaction gets a savepoint and behaves as in production', async ({
    db,
  }) => {
    await db.query('insert into users (email, name) values ($1, $2)', ['outer@example.com', 'Outer']);
    const failure = await withTransaction(db, async () => {
      await db.query('insert into users (email, name) values ($1, $2)', ['inner@example.com', 'Inner']);
      await db.query('insert into users (email, name) values ($1, $2)', ['outer@example.com', 'Duplicate']);
    }).catch((error: unknown) => error);
    expect((failure as { code?: string }).code).toBe('UNIQUE_VIOLATION');
    // The inner savepoint rolled back; the test's own transaction carries on.
    expect((await db.query('select email from users order by id')).rows.map((r) => r.email)).toEqual([
      'seed@example.com',
      'outer@example.com',
    ]);
  });
});

describe('factories', () => {
  test('build with sequences and overrides, and store through the code of your choice', async ({ db }) => {
    const users = defineFactory({
      build: ({ sequence }) => ({ email: `user${sequence}@example.com`, name: `User ${sequence}` }),
      create: async (attributes: { email: string; name: string }) =>
        (
          await db.query<{ id: string; email: string; name: string }>(
            'insert into users (email, name) values ($1, $2) returning id, email, name',
            [attributes.email, attributes.name],
          )
        ).rows[0],
    });
    expect(users.build({ name: 'Ann' })).toEqual({ email: 'user1@example.com', name: 'Ann' });
    const created = await users.createList(3, (index) => ({ name: `Listed ${index}` }));
    expect(created.map((user) => user?.email)).toEqual([
      'user2@example.com',
      'user3@example.com',
      'user4@example.com',
    ]);
    expect(created.map((user) => user?.name)).toEqual(['Listed 0', 'Listed 1', 'Listed 2']);
    expect(await count(db)).toBe(4);
  });
});

describe('query checks on the pool', () => {
  test('a Knex builder returned without await is run, and counted, inside the check', async ({ db }) => {
    const { result, queries } = await captureQueries(() => db.knex('users').where({ name: 'Seed' }));
    expect(result).toEqual([expect.objectContaining({ email: 'seed@example.com' })]);
    expect(queries.map((query) => query.text)).toEqual(['select * from "users" where "name" = $1']);
    await expect(expectQueries(() => db.knex('users').where({ name: 'Seed' })).toBe(0)).rejects.toThrow(
      QueryCountError,
    );
  });

  test('expectQueries counts statements sent through the pool, prepared or not', async ({ db }) => {
    await expectQueries(async () => {
      await db.query('select * from users where email = $1', ['seed@example.com']);
      await db.knex('users').where({ name: 'Seed' }).first();
    }).toBe(2);
  });

  test('the N+1 detector catches a per-row loop through the pool', async ({ db }) => {
    await db
      .knex('users')
      .insert([1, 2, 3, 4, 5].map((n) => ({ email: `n${n}@example.com`, name: `N${n}` })));
    const failure = await assertNoNPlusOne(async () => {
      const { rows } = await db.query<{ id: string }>('select id from users');
      for (const row of rows) await db.query('select * from notes where user_id = $1', [row.id]);
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NPlusOneQueryError);
  });
});

describe('the leak check', () => {
  // `fails`: this test must fail — the fixture reports the connection it never released.
  test.fails('a test that leaves a pool connection checked out fails', async ({ db }) => {
    await db.connect();
  });

  test('the leaked connection was released, so the next test runs normally', async ({ db }) => {
    expect(db.stats().active).toBe(1); // only this test's own rolled-back transaction
  });

  test('assertNoConnectionLeak inside a test counts what the test holds, not the harness', async ({ db }) => {
    expect(() => assertNoConnectionLeak(db)).not.toThrow();
    const client = await db.connect();
    expect(() => assertNoConnectionLeak(db)).toThrow(ConnectionLeakError);
    client.release();
    expect(() => assertNoConnectionLeak(db)).not.toThrow();
  });
});
