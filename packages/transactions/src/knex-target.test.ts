import knexFactory from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Knex } from './connection-source.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { currentTransaction, withTransaction } from './with-transaction.js';

// A Knex instance with its own (tarn) pool, not a Strata pool: withTransaction works on it too.
let db: TestDatabase;
let knex: Knex;

beforeAll(async () => {
  db = await createTestDatabase('knex');
  knex = knexFactory({ client: 'pg', connection: db.url, pool: { min: 0, max: 4 } }) as unknown as Knex;
  await knex.schema.createTable('things', (table) => {
    table.text('name').primary();
  });
});
afterAll(async () => {
  await knex?.destroy();
  await db?.drop();
});
beforeEach(() => knex('things').truncate());

const names = async () => (await knex('things').orderBy('name')).map((row: { name: string }) => row.name);

describe('withTransaction(knex, fn)', () => {
  test('commits, rolls back, and applies the isolation level on the Knex instance connection', async () => {
    const level = await withTransaction(
      knex,
      async (tx) => {
        await tx.query('INSERT INTO things (name) VALUES ($1)', ['kept']);
        return (await tx.query<{ level: string }>("SELECT current_setting('transaction_isolation') AS level"))
          .rows[0]?.level;
      },
      { isolationLevel: 'repeatable read' },
    );
    expect(level).toBe('repeatable read');
    await expect(
      withTransaction(knex, async (tx) => {
        await tx.knex('things').insert({ name: 'dropped' });
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await names()).toEqual(['kept']);
  });

  test('the Knex instance itself is ambient inside the callback, and knex.transaction() nests as a savepoint', async () => {
    await withTransaction(knex, async (tx) => {
      expect(currentTransaction(knex)).toBe(tx);
      const txPid = (await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const knexPid = (await knex.raw('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      expect(knexPid).toBe(txPid);
      await knex('things').insert({ name: 'outer' });
      await knex
        .transaction(async (trx) => {
          await trx('things').insert({ name: 'inner' });
          throw new Error('inner failed');
        })
        .catch(() => {});
      await withTransaction(knex, (inner) => inner.knex('things').insert({ name: 'savepoint' }));
    });
    expect(await names()).toEqual(['outer', 'savepoint']);
  });

  test('outside a transaction the Knex instance uses its own pool as before', async () => {
    await knex('things').insert({ name: 'plain' });
    await knex.transaction(async (trx) => {
      await trx('things').insert({ name: 'plain-trx' });
    });
    expect(await names()).toEqual(['plain', 'plain-trx']);
  });
});
