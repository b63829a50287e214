import { Model } from 'objection';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  currentAmbientScope,
  getAmbientConnection,
  runWithAmbientContext,
  runWithConnection,
} from './ambient-connection.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import { createDatabase, withAdmin } from './test-support/test-database.js';

class Note extends Model {
  static override tableName = 'notes';
  declare id: number;
  declare body: string;
}

let url: string;
let pool: Pool;
let other: Pool;
const pidSql = 'SELECT pg_backend_pid() AS pid';

beforeAll(async () => {
  url = await createDatabase('ambient');
  pool = createPool({ connectionString: url, max: 3, min: 0 }, { environment: {} });
  other = createPool({ connectionString: url, max: 1, min: 0 }, { environment: {} });
  await pool.query('CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
});
afterAll(async () => {
  await Promise.all([pool.close(), other.close()]);
});
beforeEach(async () => {
  await pool.query('TRUNCATE notes');
});

const bodies = async () =>
  withAdmin(
    async (admin) =>
      (await admin.query<{ body: string }>('SELECT body FROM notes ORDER BY body')).rows.map((r) => r.body),
    url,
  );

describe('runWithConnection', () => {
  test('pool.query, Knex and Objection all run on the ambient connection and never release it', async () => {
    const NoteModel = pool.bindModel(Note);
    const client = await pool.connect();
    try {
      const before = pool.stats();
      const pids = await runWithConnection(pool, client, async () => {
        expect(getAmbientConnection(pool)).toBe(client);
        const raw = (await pool.query<{ pid: number }>(pidSql)).rows[0]?.pid;
        const rawPrepared = (
          await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid, $1::int', [1])
        ).rows[0]?.pid;
        const knexPid = (await pool.knex.raw(pidSql)).rows[0].pid;
        const builderPid = (await pool.knex.select(pool.knex.raw('pg_backend_pid() AS pid')).first()).pid;
        await NoteModel.query().insert({ body: 'objection' });
        const objectionPid = (
          await NoteModel.query().select(NoteModel.raw('pg_backend_pid() AS pid')).first()
        )?.$toJson() as { pid?: number };
        const parallel = await Promise.all([1, 2, 3].map(() => pool.query<{ pid: number }>(pidSql)));
        return [
          raw,
          rawPrepared,
          knexPid,
          builderPid,
          objectionPid.pid,
          ...parallel.map((r) => r.rows[0]?.pid),
        ];
      });
      expect(new Set(pids)).toEqual(new Set([client.processId]));
      const after = pool.stats();
      expect(after.acquireCount).toBe(before.acquireCount); // nothing was taken from the pool
      expect(after.active).toBe(1); // the ambient client is still checked out
      expect(client.released).toBe(false);
    } finally {
      client.release();
    }
    expect(getAmbientConnection(pool)).toBeUndefined();
  });

  test('inside a transaction, knex.transaction() nests as a savepoint and everything commits or rolls back together', async () => {
    const NoteModel = pool.bindModel(Note);
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await runWithConnection(pool, client, async () => {
        await pool.query('INSERT INTO notes (body) VALUES ($1)', ['raw']);
        await pool.knex('notes').insert({ body: 'knex' });
        await NoteModel.query().insert({ body: 'objection' });
        await pool.knex.transaction(async (trx) => {
          await trx('notes').insert({ body: 'kept savepoint' });
        });
        await expect(
          pool.knex.transaction(async (trx) => {
            await trx('notes').insert({ body: 'rolled back savepoint' });
            throw new Error('undo this part only');
          }),
        ).rejects.toThrow('undo this part only');
        await NoteModel.transaction(async (trx) => {
          await NoteModel.query(trx).insert({ body: 'objection savepoint' });
        });
      });
      expect(await bodies()).toEqual([]); // nothing is visible before the outer commit
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await bodies()).toEqual(['kept savepoint', 'knex', 'objection', 'objection savepoint', 'raw']);
  });

  test('rolling back the outer transaction undoes work done through every path', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await runWithConnection(pool, client, async () => {
        await pool.query('INSERT INTO notes (body) VALUES ($1)', ['raw']);
        await pool.knex('notes').insert({ body: 'knex' });
        await pool.knex.transaction((trx) => trx('notes').insert({ body: 'nested' }));
      });
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await bodies()).toEqual([]);
  });

  test('outside a transaction, knex.transaction() begins and commits one on the ambient connection', async () => {
    const client = await pool.connect();
    try {
      await runWithConnection(pool, client, async () => {
        await pool.knex.transaction(async (trx) => {
          expect((await trx.raw(pidSql)).rows[0].pid).toBe(client.processId);
          await trx('notes').insert({ body: 'committed' });
        });
      });
      expect(client.released).toBe(false);
      expect((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM notes')).rows[0]?.n).toBe(1);
    } finally {
      client.release();
    }
  });

  test('ambient connections are per pool, and nest', async () => {
    const mine = await pool.connect();
    const theirs = await other.connect();
    try {
      await runWithConnection(pool, mine, async () => {
        // `other` has no ambient connection here: it uses (and waits for) its own pool.
        expect(getAmbientConnection(other)).toBeUndefined();
        await runWithConnection(other, theirs, async () => {
          expect(getAmbientConnection(pool)).toBe(mine);
          expect((await other.query<{ pid: number }>(pidSql)).rows[0]?.pid).toBe(theirs.processId);
          expect((await pool.query<{ pid: number }>(pidSql)).rows[0]?.pid).toBe(mine.processId);
        });
      });
    } finally {
      mine.release();
      theirs.release();
    }
  });

  test('a context attached to the frame is found with it, innermost first; a context alone makes no connection ambient', async () => {
    const client = await pool.connect();
    try {
      await runWithConnection(
        pool,
        client,
        async () => {
          expect(currentAmbientScope()?.context).toBe('outer');
          await runWithAmbientContext('inner', async () => {
            expect(currentAmbientScope()?.context).toBe('inner');
            expect(currentAmbientScope()?.outer?.context).toBe('outer');
            expect(getAmbientConnection(pool)).toBe(client);
            expect(getAmbientConnection(other)).toBeUndefined();
          });
        },
        'outer',
      );
      expect(currentAmbientScope()).toBeUndefined();
    } finally {
      client.release();
    }
  });

  test('refuses a client of another pool, and queries on a released ambient client fail', async () => {
    const theirs = await other.connect();
    expect(() => runWithConnection(pool, theirs, () => undefined)).toThrow(/different pool/);
    theirs.release();

    const client = await pool.connect();
    await runWithConnection(pool, client, async () => {
      client.release();
      await expect(pool.query('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_RELEASED' });
      await expect(pool.knex.raw('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_RELEASED' });
    });
  });
});
