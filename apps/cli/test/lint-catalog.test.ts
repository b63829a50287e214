import { sqlMigration } from '@strata/migration-fixtures';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  createTempFolder,
  createTestDatabase,
  strata,
  type TempFolder,
  type TestDatabase,
} from './strata-harness.js';

let db: TestDatabase;
let folder: TempFolder;

beforeAll(async () => {
  db = await createTestDatabase('lint_catalog');
  folder = await createTempFolder();
  await db.query(`
    create table countries (id bigint primary key, name varchar(20));
    insert into countries select i, 'c' || i from generate_series(1, 100) i;
    create table orders (id bigint generated always as identity primary key, country_id bigint, note varchar(20), qty integer);
    insert into orders (country_id, note, qty) select 1 + i % 100, 'n', i from generate_series(1, 2000) i;
    analyze countries; analyze orders;`);
  await folder.write(
    '001_shop_expand_countries_name_idx.sql',
    sqlMigration('create index countries_name_idx on countries (name);'),
  );
  await folder.write(
    '002_shop_expand_orders_qty_idx.sql',
    sqlMigration('create index orders_qty_idx on orders (qty);'),
  );
  await folder.write(
    '003_shop_expand_widen_note.sql',
    sqlMigration('alter table orders alter column note type text;'),
  );
  await folder.write(
    '004_shop_expand_country_fk.sql',
    sqlMigration(
      'alter table orders add constraint orders_country_fk foreign key (country_id) references countries (id) not valid;',
    ),
  );
});

afterAll(async () => {
  await db?.drop();
  await folder?.cleanup();
});

interface LintDocument {
  ok: boolean;
  errors: number;
  warnings: number;
  notes: number;
  catalog: { tables: number; smallTable: { rows: number; bytes: number } } | null;
  findings: { file: string; ruleId: string; severity: string; message: string }[];
}

const brief = (document: LintDocument) =>
  document.findings.map((f) => [f.file.slice(0, 3), f.ruleId, f.severity]);

test('with --database-url, lint judges locks by table size, knows old column types and unindexed foreign keys', async () => {
  const run = await strata([
    'migrate',
    'lint',
    '--dir',
    folder.path,
    '--database-url',
    db.url,
    '--small-table-rows',
    '1000',
    '--json',
  ]);
  expect(run.code).toBe(3);
  const document = run.json<LintDocument>();
  expect(brief(document)).toEqual([
    ['001', 'create-index-without-concurrently', 'note'],
    ['002', 'create-index-without-concurrently', 'error'],
    ['004', 'foreign-key-without-index', 'warning'],
  ]);
  expect(document).toMatchObject({
    errors: 1,
    warnings: 1,
    notes: 1,
    catalog: { tables: 2, smallTable: { rows: 1000 } },
  });
  expect(document.findings[1]?.message).toMatch(/public\.orders holds ~2 000 rows/);

  const human = await strata([
    'migrate',
    'lint',
    '--dir',
    folder.path,
    '--database-url',
    db.url,
    '--small-table-rows',
    '1000',
  ]);
  expect(human.stdout).toContain('1 error, 1 warning, 1 note in 4 SQL migrations.');
});

test('without the flag lint stays offline, even with DATABASE_URL set', async () => {
  const run = await strata(['migrate', 'lint', '--dir', folder.path, '--json'], {
    env: { DATABASE_URL: db.url },
  });
  const document = run.json<LintDocument>();
  expect(document.catalog).toBeNull();
  expect(brief(document)).toEqual([
    ['001', 'create-index-without-concurrently', 'error'],
    ['002', 'create-index-without-concurrently', 'error'],
    ['003', 'alter-column-type', 'error'],
  ]);
});
