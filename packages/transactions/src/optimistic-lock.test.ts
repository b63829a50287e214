import { InvalidConfigError } from '@strata/errors';
import type { Pool } from '@strata/pool';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { updateWithVersion } from './optimistic-lock.js';
import { createTestDatabase, type TestDatabase } from './test-support/test-database.js';
import { OptimisticLockError } from './transaction-errors.js';
import { withTransaction } from './with-transaction.js';

interface Doc {
  id: number;
  title: string;
  version: number;
}

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('optimistic');
  pool = db.pool();
  await pool.query(
    'CREATE TABLE docs (id int PRIMARY KEY, title text NOT NULL, version int NOT NULL DEFAULT 1)',
  );
});
afterAll(() => db?.drop());
beforeEach(async () => {
  await pool.query('TRUNCATE docs');
  await pool.query("INSERT INTO docs (id, title) VALUES (1, 'draft')");
});

const read = async () => (await pool.query<Doc>('SELECT * FROM docs WHERE id = 1')).rows[0] as Doc;

describe('updateWithVersion', () => {
  test('updates the row and increments its version when the version still matches', async () => {
    const doc = await read();
    const updated = await updateWithVersion<Doc>(pool, {
      table: 'docs',
      id: doc.id,
      expectedVersion: doc.version,
      set: { title: 'final' },
    });
    expect(updated).toEqual({ id: 1, title: 'final', version: 2 });
  });

  test('two writers that read the same version: the second gets OptimisticLockError and changes nothing', async () => {
    const aliceRead = await read();
    const bobRead = await read();
    await withTransaction(pool, (tx) =>
      updateWithVersion(tx, {
        table: 'docs',
        id: 1,
        expectedVersion: aliceRead.version,
        set: { title: 'alice' },
      }),
    );
    const bob = withTransaction(pool, (tx) =>
      updateWithVersion(tx, {
        table: 'docs',
        id: 1,
        expectedVersion: bobRead.version,
        set: { title: 'bob' },
      }),
    );
    const error = (await bob.catch((e: unknown) => e)) as OptimisticLockError;
    expect(error).toBeInstanceOf(OptimisticLockError);
    expect(error).toMatchObject({
      code: 'OPTIMISTIC_LOCK_CONFLICT',
      table: 'docs',
      id: 1,
      expectedVersion: 1,
    });
    expect(await read()).toEqual({ id: 1, title: 'alice', version: 2 });
  });

  test('a deleted row is a conflict too', async () => {
    await pool.query('DELETE FROM docs');
    await expect(
      updateWithVersion(pool, { table: 'docs', id: 1, expectedVersion: 1, set: { title: 'x' } }),
    ).rejects.toBeInstanceOf(OptimisticLockError);
  });

  test('any name PostgreSQL takes is quoted, so a mixed-case or $-containing table works', async () => {
    await pool.query(
      'CREATE TABLE "Order$Items" ("Id" int PRIMARY KEY, "Sku" text NOT NULL, "Version" int NOT NULL DEFAULT 1)',
    );
    await pool.query(`INSERT INTO "Order$Items" ("Id", "Sku") VALUES (1, 'a-1')`);
    const updated = await updateWithVersion(pool, {
      table: 'public.Order$Items',
      id: 1,
      expectedVersion: 1,
      set: { Sku: 'b-2' },
      idColumn: 'Id',
      versionColumn: 'Version',
    });
    expect(updated).toEqual({ Id: 1, Sku: 'b-2', Version: 2 });
  });

  test('names carrying SQL stay names, invalid ones are refused, and the version column cannot be set by hand', async () => {
    await expect(
      updateWithVersion(pool, {
        table: 'docs; DROP TABLE docs',
        id: 1,
        expectedVersion: 1,
        set: { title: 'x' },
      }),
    ).rejects.toMatchObject({ sqlState: '42P01' });
    const attempt = updateWithVersion(pool, {
      table: 'a.b.c',
      id: 1,
      expectedVersion: 1,
      set: { '': 'x', version: 9 },
      idColumn: 'x'.repeat(64),
    });
    const error = (await attempt.catch((e: unknown) => e)) as InvalidConfigError;
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect(error.issues.map((issue) => issue.path)).toEqual(['table', 'idColumn', 'set.', 'set.version']);
    expect(error.message).toContain('at most 63 bytes');
    expect(await read()).toMatchObject({ title: 'draft' });
  });
});
