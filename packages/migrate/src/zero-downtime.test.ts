import { sqlMigration } from '@strata/migration-fixtures';
import type pg from 'pg';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { batchUpdate } from './batch-update.js';
import { createMigrator } from './create-migrator.js';
import { type ConcurrentWriters, startWriters } from './test-support/concurrent-writers.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from './test-support/test-database.js';

// The zero-downtime proof at test size (the benchmark migrate.zero-downtime.1m runs it on 1M
// rows and compares the writers' p99): while 8 clients keep inserting and updating, the
// expand → backfill → validate sequence and a concurrent index run without one client error.
const ROWS = 40_000;
const WRITERS = 8;

let db: TestDatabase;
let migrations: MigrationsDirectory;

beforeEach(async () => {
  db = await createTestDatabase();
  migrations = await createMigrationsDirectory();
  await db.query(`create table ledger (
    id bigint generated always as identity primary key,
    account bigint not null,
    amount bigint not null,
    updated_at timestamptz not null default now())`);
  await db.query(
    'insert into ledger (account, amount) select i % 500, i from generate_series(1, $1::int) i',
    [ROWS],
  );
});

afterEach(async () => {
  await db.drop();
  await migrations.cleanup();
});

interface Writers extends ConcurrentWriters {
  /** The code deploy after the expand: from now on the application writes `note` too. */
  deployNewCode: () => void;
}

// Half the clients update random rows, half insert new ones, as the application would.
async function startApplicationWriters(): Promise<Writers> {
  const clients: pg.Client[] = await Promise.all(Array.from({ length: WRITERS }, () => db.client()));
  let newCode = false;
  const writers = startWriters(clients, async (client, index) => {
    const id = 1 + Math.floor(Math.random() * ROWS);
    if (index % 2 === 0 && newCode) {
      await client.query(
        'update ledger set amount = amount + 1, note = coalesce(note, $2), updated_at = now() where id = $1',
        [id, 'from-app'],
      );
    } else if (index % 2 === 0) {
      await client.query('update ledger set amount = amount + 1, updated_at = now() where id = $1', [id]);
    } else if (newCode) {
      await client.query('insert into ledger (account, amount, note) values ($1, 1, $2)', [
        index,
        'from-app',
      ]);
    } else {
      await client.query('insert into ledger (account, amount) values ($1, 1)', [index]);
    }
  });
  return {
    ...writers,
    deployNewCode: () => {
      newCode = true;
    },
  };
}

test('add a column, backfill it, add and validate a check, index concurrently — under write load, no client error', async () => {
  await migrations.write(
    '001_ledger_note_expand_add_note.sql',
    sqlMigration('alter table ledger add column note text;', 'alter table ledger drop column note;'),
  );
  await migrations.write(
    '002_ledger_account_expand_index_account.sql',
    sqlMigration(
      'create index concurrently ledger_account_idx on ledger (account);',
      'drop index concurrently ledger_account_idx;',
    ),
  );
  const migrator = createMigrator({ directory: migrations.path, knex: db.knex, lockTimeout: '2s' });
  const writers = await startApplicationWriters();
  try {
    const expand = await migrator.up();
    expect(expand.applied.map((m) => m.name)).toEqual([
      '001_ledger_note_expand_add_note',
      '002_ledger_account_expand_index_account',
    ]);
    writers.deployNewCode();
    await migrations.write(
      '003_ledger_note_expand_add_note_check.sql',
      sqlMigration(
        [
          // The check comes before the backfill: safe only because the new code, deployed
          // above, writes note on every insert and update, so the linter needs the reason.
          '-- strata:allow not-null-before-backfill the deployed code writes note on every insert and update',
          'alter table ledger add constraint ledger_note_present check (note is not null) not valid;',
        ].join('\n'),
        'alter table ledger drop constraint ledger_note_present;',
      ),
    );
    expect((await migrator.up()).applied.map((m) => m.seq)).toEqual([3]);
    const afterExpand = writers.writes();

    const backfill = await batchUpdate(db.knex, {
      table: 'ledger',
      set: { note: 'backfilled' },
      where: { note: null },
      batchSize: 2_000,
    });
    expect(backfill.rowsUpdated).toBeGreaterThan(0);
    const afterBackfill = writers.writes();

    await migrations.write(
      '004_ledger_note_validate_validate_note_present.sql',
      sqlMigration(
        'alter table ledger validate constraint ledger_note_present;',
        'alter table ledger drop constraint ledger_note_present;\nalter table ledger add constraint ledger_note_present check (note is not null) not valid;',
      ),
    );
    const validate = await migrator.up();
    expect(validate.applied.map((m) => m.phase)).toEqual(['validate']);

    // The writers kept going through every step.
    expect(afterExpand).toBeGreaterThan(0);
    expect(afterBackfill).toBeGreaterThan(afterExpand);
    expect(writers.writes()).toBeGreaterThan(afterBackfill);
  } finally {
    await writers.stop();
    await migrator.close();
  }
  expect(writers.errors).toEqual([]);

  const [state] = await db.query<{ validated: boolean; index_valid: boolean; missing: number }>(
    `select (select convalidated from pg_constraint where conname = 'ledger_note_present') as validated,
            (select indisvalid from pg_index where indexrelid = 'ledger_account_idx'::regclass) as index_valid,
            (select count(*)::int from ledger where note is null) as missing`,
  );
  expect(state).toEqual({ validated: true, index_valid: true, missing: 0 });
});
