import { AsyncResource } from 'node:async_hooks';
import { currentAmbientScope, getAmbientConnection, type Pool } from '@strata/pool';
import { Model } from 'objection';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createBarrier } from './test-support/barrier.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { currentTransaction, withTransaction } from './with-transaction.js';

class Note extends Model {
  static override tableName = 'notes';
  id!: number;
  body!: string;
}

let db: TestDatabase;
let pool: Pool;
let BoundNote: typeof Note;

beforeAll(async () => {
  db = await createTestDatabase('ambient');
  pool = db.pool();
  await pool.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  BoundNote = Note.bindKnex(pool.knex);
});
afterAll(() => db?.drop());
beforeEach(() => pool.query('TRUNCATE notes'));

const pidOf = async (db: { query(text: string): Promise<{ rows: unknown[] }> }) =>
  ((await db.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid;

// Runs a callback in the async context this module was loaded in, i.e. outside any
// transaction: the way a queue worker or an event listener registered earlier would.
const outsideAnyTransaction = AsyncResource.bind(<T>(fn: () => T): T => fn());

describe('ambient transaction', () => {
  test('pool.query, pool.knex and Objection models inside the callback run on the transaction connection', async () => {
    await withTransaction(pool, async (tx) => {
      const pid = await pidOf(tx);
      expect(await pidOf(pool)).toBe(pid);
      const knexPid = (await pool.knex.raw('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      expect(knexPid).toBe(pid);
      await pool.query("INSERT INTO notes (body) VALUES ('raw')");
      await pool.knex('notes').insert({ body: 'knex' });
      await BoundNote.query().insert({ body: 'objection' });
      expect(await BoundNote.query().resultSize()).toBe(3);
      throw new Error('roll everything back');
    }).catch(() => {});
    expect((await pool.query('SELECT count(*)::int AS n FROM notes')).rows[0]).toEqual({ n: 0 });
  });

  test("withTransaction(pool.knex, fn) is the pool's transaction: pool.query inside sees its uncommitted rows and rolls back with it", async () => {
    const seen: Record<string, unknown> = {};
    const run = withTransaction(pool.knex, async (tx) => {
      seen.ambient = currentTransaction(pool) === tx && currentTransaction(pool.knex) === tx;
      await pool.knex('notes').insert({ body: 'knex' });
      await pool.query("INSERT INTO notes (body) VALUES ('raw')");
      seen.samePid = (await pidOf(pool)) === (await pidOf(tx));
      const { rows } = await pool.query<{ body: string }>('SELECT body FROM notes ORDER BY body');
      seen.bodies = rows.map((row) => row.body);
      // Nested on the pool itself, it is a savepoint of the same transaction.
      await withTransaction(pool, (inner) => {
        seen.depth = inner.depth;
      });
      throw new Error('roll everything back');
    });
    await expect(run).rejects.toThrow('roll everything back');
    expect(seen).toEqual({ ambient: true, samePid: true, bodies: ['knex', 'raw'], depth: 1 });
    expect((await pool.query('SELECT count(*)::int AS n FROM notes')).rows[0]).toEqual({ n: 0 });
  });

  test('two interleaved transactions each see only their own writes', async () => {
    const bothWrote = createBarrier(2);
    const bothRead = createBarrier(2); // neither commits before both have read
    const run = (body: string) =>
      withTransaction(pool, async () => {
        // No tx passed anywhere: every query finds the transaction through the async context.
        await pool.query('INSERT INTO notes (body) VALUES ($1)', [body]);
        await pool.knex('notes').insert({ body: `${body}-knex` });
        await bothWrote.arrive();
        const raw = (await pool.query<{ body: string }>('SELECT body FROM notes ORDER BY body')).rows.map(
          (r) => r.body,
        );
        const viaObjection = (await BoundNote.query().orderBy('body')).map((note) => note.body);
        await bothRead.arrive();
        return { raw, viaObjection };
      });
    const [a, b] = await Promise.all([run('a'), run('b')]);
    expect(a).toEqual({ raw: ['a', 'a-knex'], viaObjection: ['a', 'a-knex'] });
    expect(b).toEqual({ raw: ['b', 'b-knex'], viaObjection: ['b', 'b-knex'] });
  });

  test('the ambient transaction ends with the callback: afterwards queries use the pool again', async () => {
    let pid = 0;
    await withTransaction(pool, async (tx) => {
      pid = await pidOf(tx);
    });
    expect(currentTransaction(pool)).toBeUndefined();
    // The transaction's connection went back to the pool with no transaction open on it.
    const observer = await db.client();
    const { rows } = await observer.query<{ state: string }>(
      'SELECT state FROM pg_stat_activity WHERE pid = $1',
      [pid],
    );
    expect(rows[0]?.state).toBe('idle');
  });

  test('explicit passing works where the async context does not reach: tx.query and tx.knex still use the transaction', async () => {
    await withTransaction(pool, async (tx) => {
      const pid = await pidOf(tx);
      const seen = await outsideAnyTransaction(async () => ({
        ambient: currentTransaction(pool),
        poolPid: await pidOf(pool),
        txPid: await pidOf(tx),
        knexPid: (await tx.knex.raw('SELECT pg_backend_pid() AS pid')).rows[0].pid as number,
        objectionCount: await Note.query(tx.knex)
          .insert({ body: 'explicit' })
          .then(() => Note.query(tx.knex).resultSize()),
      }));
      expect(seen.ambient).toBeUndefined();
      expect(seen.poolPid).not.toBe(pid); // the pool hands out another connection there
      expect(seen.txPid).toBe(pid);
      expect(seen.knexPid).toBe(pid);
      expect(seen.objectionCount).toBe(1);
      throw new Error('roll back');
    }).catch(() => {});
    expect((await pool.query('SELECT count(*)::int AS n FROM notes')).rows[0]).toEqual({ n: 0 });
  });
});

test('a transaction opens one ambient scope, holding its connection and itself together', async () => {
  await withTransaction(pool, async (tx) => {
    const scope = currentAmbientScope();
    expect(scope?.context).toBe(tx);
    expect(scope?.outer).toBeUndefined();
    expect(getAmbientConnection(pool)).toBeDefined();
    await tx.withTransaction(async (savepoint) => {
      expect(currentAmbientScope()?.context).toBe(savepoint);
      expect(currentAmbientScope()?.outer).toBe(scope);
    });
  });
});
