import { InvalidConfigError } from '@strata/errors';
import { sqlMigration } from '@strata/migration-fixtures';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createMigrator, type Migrator } from './create-migrator.js';
import { rejection } from './test-support/rejection.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from './test-support/test-database.js';

let db: TestDatabase;
let dir: MigrationsDirectory;
let migrator: Migrator;

beforeEach(async () => {
  db = await createTestDatabase();
  dir = await createMigrationsDirectory();
  migrator = createMigrator({ directory: dir.path, connectionString: db.connectionString });
});

afterEach(async () => {
  await migrator.close();
  await db.drop();
  await dir.cleanup();
});

test('up holds back a file numbered below an applied one of its scope, and what follows it in the scope', async () => {
  await dir.write(
    '001_billing_expand_create_invoices.sql',
    sqlMigration('create table invoices (id bigint);'),
  );
  await dir.write(
    '003_billing_expand_add_total.sql',
    sqlMigration('alter table invoices add column total int;'),
  );
  await migrator.up();
  // Merged from a branch that numbered its migrations before 003 was applied here.
  await dir.write(
    '002_billing_expand_add_note.sql',
    sqlMigration('alter table invoices add column note text;'),
  );
  await dir.write('004_billing_expand_add_tax.sql', sqlMigration('alter table invoices add column tax int;'));
  await dir.write('005_search_expand_create_terms.sql', sqlMigration('create table terms (id bigint);'));

  const held = await migrator.up();
  expect(held.applied.map((m) => m.seq)).toEqual([5]);
  expect(held.blocked).toEqual([
    {
      seq: 2,
      name: '002_billing_expand_add_note',
      scope: 'billing',
      phase: 'expand',
      blockedBy: 'out-of-order',
      reason: expect.stringMatching(
        /^002_billing_expand_add_note\.sql \(seq 2\) sorts before 003_billing_expand_add_total \(seq 3\), already applied in scope "billing".*strata migrate renumber --base <ref>.*--allow-out-of-order/,
      ),
    },
    expect.objectContaining({
      seq: 4,
      blockedBy: 'out-of-order',
      reason: 'waits for 002_billing_expand_add_note.sql, held back as out of order',
    }),
  ]);
  expect((await migrator.status()).migrations.find((m) => m.seq === 2)?.blockedBy).toBe('out-of-order');

  expect(await rejection(migrator.up({ override: { outOfOrder: ' ' } }))).toBeInstanceOf(InvalidConfigError);
  const reason = 'note and total are independent columns; the order does not matter';
  const confirmed = await migrator.up({ override: { outOfOrder: reason } });
  expect(confirmed.applied.map((m) => [m.seq, m.overrides?.map((o) => o.check)])).toEqual([
    [2, ['out-of-order']],
    [4, []],
  ]);
  const rows = await db.query<{ seq: number; overrides: unknown }>(
    'select seq, overrides from strata_migrations order by seq',
  );
  expect(rows).toEqual([
    { seq: 1, overrides: null },
    {
      seq: 2,
      overrides: [{ check: 'out-of-order', reason, refused: expect.stringContaining('sorts before') }],
    },
    { seq: 3, overrides: null },
    { seq: 4, overrides: null },
    { seq: 5, overrides: null },
  ]);
});

test('phase order is not out of order: an expand with a higher seq ran before the backfill it precedes', async () => {
  await dir.write(
    '001_billing_expand_create_invoices.sql',
    sqlMigration('create table invoices (id bigint);'),
  );
  await dir.write('002_billing_backfill_fill.sql', sqlMigration('update invoices set id = id where id < 0;'));
  await dir.write(
    '003_billing_expand_add_total.sql',
    sqlMigration('alter table invoices add column total int;'),
  );
  // The backfill waits for every expand of its scope; the expand 003 runs first.
  expect((await migrator.up()).applied.map((m) => m.seq)).toEqual([1, 3]);
  expect((await migrator.up()).applied.map((m) => m.seq)).toEqual([2]);
});
