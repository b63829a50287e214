import { withTransaction } from '@strata/transactions';
import { describe, expect } from 'vitest';
import { defineFactory } from '../src/define-factory.js';
import { expectQueries } from '../src/expect-queries.js';
import { assertNoNPlusOne, NPlusOneQueryError } from '../src/repeated-queries.js';
import { test } from '../src/vitest.js';

const count = async (db: { query: (text: string) => Promise<{ rows: Record<string, unknown>[] }> }) =>
  Number((await db.query('select count(*)::int as n from users')).rows[0]?.n);

describe('the db fixture', () => {
  test('starts from the migrated and seeded template, in this worker’s own database', async ({ db }) => {
    const { rows } = await db.query<{ database: string }>('select current_database() as database');
    expect(rows[0]?.database).toMatch(new RegExp(`^strata_test_w${process.env.VITEST_POOL_ID ?? '0'}_`));
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
  let leaked: { release(): void } | undefined;

  // `fails`: this test must fail — the fixture reports the connection it never released.
  test.fails('a test that leaves a pool connection checked out fails', async ({ db }) => {
    leaked = await db.connect();
  });

  test('the next test runs normally once the connection is released', async ({ db }) => {
    leaked?.release();
    expect(db.stats().active).toBe(1); // only this test's own rolled-back transaction
  });
});
