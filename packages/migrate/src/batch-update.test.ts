import { InvalidConfigError } from '@strata/errors';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type BatchUpdateProgress, batchUpdate } from './batch-update.js';
import { createMigrator } from './create-migrator.js';
import { BatchUpdateInTransactionError } from './migration-errors.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type TestDatabase,
} from './test-support/test-database.js';

let db: TestDatabase;

beforeEach(async () => {
  db = await createTestDatabase();
  await db.query(`
    create table accounts (id bigint primary key, price numeric, currency text, note text);
    insert into accounts select i, i * 10, null, null from generate_series(1, 2500) i;
    update accounts set currency = 'USD' where id % 500 = 0;`);
});

afterEach(async () => {
  await db.drop();
});

const remaining = async (): Promise<number> =>
  (await db.query<{ n: number }>('select count(*)::int as n from accounts where currency is null'))[0]?.n ??
  -1;

describe('batchUpdate', () => {
  test('updates every matching row in batches, reporting progress after each commit', async () => {
    const progress: BatchUpdateProgress[] = [];
    const result = await batchUpdate(db.knex, {
      table: 'accounts',
      set: { currency: 'EUR', note: db.knex.raw("'was ' || coalesce(currency, 'null')") },
      where: { currency: null },
      batchSize: 1000,
      onProgress: (p) => progress.push(p),
    });
    expect(result).toMatchObject({ table: 'accounts', rowsUpdated: 2495, batches: 3, retries: 0 });
    expect(progress.map((p) => p.rowsUpdated)).toEqual([1000, 2000, 2495]);
    expect(progress.every((p) => p.rowsPerSecond >= 0 && p.lastKey !== null)).toBe(true);
    expect(await remaining()).toBe(0);
    expect(await db.query("select count(*)::int as n from accounts where currency = 'USD'")).toEqual([
      { n: 5 },
    ]);
    expect(await db.query('select note from accounts where id = 1')).toEqual([{ note: 'was null' }]);
  });

  test('is idempotent: a second run finds nothing to do', async () => {
    await batchUpdate(db.knex, { table: 'accounts', set: { currency: 'EUR' }, where: { currency: null } });
    const again = await batchUpdate(db.knex, {
      table: 'accounts',
      set: { currency: 'EUR' },
      where: { currency: null },
    });
    expect(again.rowsUpdated).toBe(0);
  });

  test('is resumable: a run stopped after two batches keeps them, and the next run does only the rest', async () => {
    const stop = new Error('stopped');
    await expect(
      batchUpdate(db.knex, {
        table: 'public.accounts',
        set: { currency: 'EUR' },
        where: { currency: null },
        batchSize: 500,
        onProgress: (p) => {
          if (p.batches === 2) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(await remaining()).toBe(2495 - 1000);
    const resumed = await batchUpdate(db.knex, {
      table: 'public.accounts',
      set: { currency: 'EUR' },
      where: { currency: null },
      batchSize: 500,
    });
    expect(resumed.rowsUpdated).toBe(1495);
    expect(await remaining()).toBe(0);
  });

  test('accepts a raw condition and an explicit key', async () => {
    const result = await batchUpdate(db.knex, {
      table: 'accounts',
      set: { currency: 'GBP' },
      where: db.knex.raw('currency is null and price > ?', [20_000]),
      key: 'id',
      batchSize: 100,
    });
    expect(result.rowsUpdated).toBe(500 - 1);
  });

  test('waits out a row lock held by a writer, retrying the batch after lock_timeout', async () => {
    const writer = await db.client();
    await writer.query('begin');
    await writer.query("update accounts set note = 'busy' where id = 10");
    const running = batchUpdate(db.knex, {
      table: 'accounts',
      set: { currency: 'EUR' },
      where: { currency: null },
      batchSize: 1000,
      lockTimeout: 50,
      retries: 1_000,
    });
    // Keep the row locked until the same batch has been seen waiting in two transactions:
    // it gave up at lock_timeout and retried instead of queueing.
    const waits = new Set<string>();
    while (waits.size < 2) {
      const waiting = await db.query<{ xact_start: Date }>(
        "select xact_start from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%strata_batch_key%'",
      );
      for (const row of waiting) waits.add(row.xact_start.toISOString());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await writer.query('commit');
    const result = await running;
    expect(result.retries).toBeGreaterThan(0);
    expect(result.rowsUpdated).toBe(2495);
    expect(await db.query('select note, currency from accounts where id = 10')).toEqual([
      { note: 'busy', currency: 'EUR' },
    ]);
  });

  test('yields to a session its locks make wait: the next batches are halved and paused, then grow back when calm', async () => {
    // The first batch holds its table lock while it waits on an advisory lock the test holds;
    // meanwhile another session queues behind that table lock. Then the test lets go.
    const gate = await db.client();
    await gate.query('select pg_advisory_lock(42)');
    const progress: BatchUpdateProgress[] = [];
    const running = batchUpdate(db.knex, {
      table: 'accounts',
      set: {
        currency: 'EUR',
        note: db.knex.raw("(select 'backfilled' from pg_advisory_xact_lock_shared(42))"),
      },
      where: { currency: null },
      batchSize: 1000,
      adaptive: { maxPause: 50 },
      onProgress: (p) => progress.push(p),
    });
    const waitingOn = async (event: string, query: string) => {
      for (;;) {
        const rows = await db.query(
          'select 1 from pg_stat_activity where datname = current_database() and wait_event = $1 and query like $2',
          [event, query],
        );
        if (rows.length > 0) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    await waitingOn('advisory', '%strata_batch_key%');
    const writer = await db.client();
    const locking = writer.query('begin; lock table accounts in share mode; commit');
    await waitingOn('relation', 'begin; lock table accounts%');
    await gate.query('select pg_advisory_unlock(42)');
    await locking;
    const result = await running;
    expect(result.rowsUpdated).toBe(2495);
    expect(progress.map((p) => p.batchSize)).toEqual([1000, 500, 750, 1000]);
    // As long as the batch took (its wait included), at most maxPause.
    expect(progress[0]?.pauseMs).toBeGreaterThan(0);
    expect(progress[0]?.pauseMs).toBeLessThanOrEqual(50);
  });

  test('pauses as long as each batch took while other sessions run statements, and not at all when adaptive is off', async () => {
    const busy = await db.client();
    const sleeping = busy.query('select pg_sleep(60)').catch(() => undefined);
    for (;;) {
      const rows = await db.query(
        "select 1 from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'",
      );
      if (rows.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const run = async (adaptive?: false) => {
      const progress: BatchUpdateProgress[] = [];
      await db.query('update accounts set currency = null where id % 500 <> 0');
      await batchUpdate(db.knex, {
        table: 'accounts',
        set: { currency: 'EUR' },
        where: { currency: null },
        batchSize: 1000,
        ...(adaptive === false ? { adaptive } : {}),
        onProgress: (p) => progress.push(p),
      });
      return progress;
    };
    try {
      const yielding = await run();
      expect(yielding.map((p) => p.batchSize)).toEqual([1000, 1000, 1000]);
      expect(yielding.slice(0, 2).every((p) => p.pauseMs > 0)).toBe(true);
      expect((await run(false)).map((p) => p.pauseMs)).toEqual([0, 0, 0]);
    } finally {
      await db.query(
        "select pg_cancel_backend(pid) from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database()",
      );
      await sleeping;
    }
  });

  test('refuses a transaction, naming the migration config that fixes it', async () => {
    await expect(
      db.knex.transaction((trx) =>
        batchUpdate(trx, { table: 'accounts', set: { currency: 'EUR' }, where: { currency: null } }),
      ),
    ).rejects.toThrow(BatchUpdateInTransactionError);
  });

  test('backfills a table whose names need quoting, walking its mixed-case primary key', async () => {
    await db.query(`
      create table "Order$Items" ("Id" bigint primary key, "Sku" text);
      insert into "Order$Items" select i, null from generate_series(1, 30) i;`);
    const result = await batchUpdate(db.knex, {
      table: 'public.Order$Items',
      set: { Sku: 'none' },
      where: { Sku: null },
      batchSize: 20,
    });
    expect(result).toMatchObject({ rowsUpdated: 30, batches: 2, lastKey: '30' });
  });

  test('rejects names PostgreSQL cannot take, naming each field, and quotes every other name', async () => {
    let error: unknown;
    try {
      await batchUpdate(db.knex, {
        table: 'app.accounts.extra',
        set: { '': 'EUR' },
        where: { ['x'.repeat(64)]: 1 },
        batchSize: 0,
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).issues.map((issue) => issue.path).sort()).toEqual([
      'batchSize',
      'set.',
      'table',
      `where.${'x'.repeat(64)}`,
    ]);
    // A name carrying SQL is only a name: quoted, it names a table that does not exist.
    await expect(
      batchUpdate(db.knex, { table: 'accounts; drop table accounts', set: { a: 1 }, where: { a: null } }),
    ).rejects.toThrow(/table "accounts; drop table accounts" does not exist/);
    await expect(
      batchUpdate(db.knex, { table: 'missing', set: { a: 1 }, where: { a: null } }),
    ).rejects.toThrow(/table "missing" does not exist/);
    expect(await db.query("select to_regclass('accounts')::text as t")).toEqual([{ t: 'accounts' }]);
  });

  test("in a migration, batches take the migrator's backfill timeouts unless the options set them", async () => {
    const dir = await createMigrationsDirectory();
    const batchUpdateUrl = new URL('./batch-update.ts', import.meta.url).href;
    const settings = "current_setting('lock_timeout') || ' ' || current_setting('statement_timeout')";
    await dir.write(
      '001_accounts_backfill_note.js',
      `export const config = { transaction: false };
export async function up(knex) {
  const { batchUpdate } = await import(${JSON.stringify(batchUpdateUrl)});
  await batchUpdate(knex, { table: 'accounts', set: { note: knex.raw("${settings}") }, where: knex.raw('id <= 10 and note is null') });
  await batchUpdate(knex, { table: 'accounts', set: { note: knex.raw("${settings}") }, where: knex.raw('id > 10 and id <= 20 and note is null'), lockTimeout: '3s' });
}\n`,
    );
    const migrator = createMigrator({
      directory: dir.path,
      knex: db.knex,
      backfillLockTimeout: '750ms',
      backfillStatementTimeout: '90s',
    });
    try {
      await migrator.up();
    } finally {
      await migrator.close();
      await dir.cleanup();
    }
    expect(
      await db.query(
        'select note, count(*)::int as n from accounts where id <= 20 group by note order by note',
      ),
    ).toEqual([
      { note: '3s 90s', n: 10 },
      { note: '750ms 90s', n: 10 },
    ]);
    // Outside a migration, the package defaults.
    await batchUpdate(db.knex, {
      table: 'accounts',
      set: { note: db.knex.raw(settings) },
      where: db.knex.raw('id = 21'),
    });
    expect(await db.query('select note from accounts where id = 21')).toEqual([{ note: '2s 1min' }]);
  });

  test('runs inside a .js backfill migration that opts out of the transaction', async () => {
    const dir = await createMigrationsDirectory();
    const batchUpdateUrl = new URL('./batch-update.ts', import.meta.url).href;
    await dir.write(
      '001_accounts_backfill_currency.js',
      `export const config = { transaction: false };
export async function up(knex) {
  const { batchUpdate } = await import(${JSON.stringify(batchUpdateUrl)});
  await batchUpdate(knex, { table: 'accounts', set: { currency: 'EUR' }, where: { currency: null }, batchSize: 700 });
}\n`,
    );
    const migrator = createMigrator({ directory: dir.path, knex: db.knex });
    try {
      const result = await migrator.up();
      expect(result.applied).toEqual([expect.objectContaining({ transactional: false })]);
    } finally {
      await migrator.close();
      await dir.cleanup();
    }
    expect(await remaining()).toBe(0);
  });
});
