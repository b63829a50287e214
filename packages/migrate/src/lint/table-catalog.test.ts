import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test-support/test-database.js';
import { type LintMigrationsFile, lintMigrations } from './lint-migration.js';
import { type LintCatalog, readLintCatalog } from './table-catalog.js';

// One database for the file: a small table, and one above the (lowered) threshold.
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.query(`
    create table countries (id bigint primary key, name varchar(20), code char(2));
    insert into countries select i, 'country ' || i, 'c' from generate_series(1, 250) i;
    create table orders (
      id bigint generated always as identity primary key, country_id bigint, region_id bigint,
      note varchar(20), amount numeric(10, 2), qty integer, placed timestamp(3));
    create index orders_region_idx on orders (region_id, id);
    insert into orders (country_id, note, amount, qty)
      select 1 + i % 250, 'n', i, i from generate_series(1, 3000) i;
    analyze countries; analyze orders;`);
});

afterAll(async () => {
  await db.drop();
});

async function catalogFor(files: readonly LintMigrationsFile[]): Promise<LintCatalog> {
  const client = await db.client();
  return readLintCatalog(client, { sql: files.map((file) => file.sql), smallTableRows: 1000 });
}

async function lint(...statements: string[]) {
  const files = statements.map((sql, index) => ({
    file: `00${index + 1}_shop_expand_change_${index + 1}.sql`,
    sql: `-- migrate:up\n${sql}\n`,
  }));
  return lintMigrations(files, { catalog: await catalogFor(files) });
}

const brief = (findings: Awaited<ReturnType<typeof lint>>) =>
  findings.map((finding) => [finding.file.slice(0, 3), finding.ruleId, finding.severity]);

describe('readLintCatalog', () => {
  test('reads the size, columns and indexes of the tables the migrations name', async () => {
    const catalog = await catalogFor([
      { file: 'x.sql', sql: '-- migrate:up\nalter table orders add column x int;' },
    ]);
    expect(catalog.smallTable).toEqual({ rows: 1000, bytes: 64 * 1024 * 1024 });
    expect(catalog.tables).toEqual([
      expect.objectContaining({
        name: 'public.orders',
        rows: 3000,
        bytes: expect.any(Number),
        indexes: [
          { name: 'orders_pkey', columns: ['id'], unique: true, partial: false },
          { name: 'orders_region_idx', columns: ['region_id', 'id'], unique: false, partial: false },
        ],
      }),
    ]);
    expect(catalog.tables[0]?.columns.find((column) => column.name === 'note')).toEqual({
      name: 'note',
      type: 'varchar',
      typmod: 24,
      display: 'character varying(20)',
    });
  });
});

describe('locks judged by the table size', () => {
  test('a non-concurrent index or a rewrite on a small table is a note; on a large one an error stating the size', async () => {
    const findings = await lint(
      'create index countries_name_idx on countries (name);',
      'create index orders_qty_idx on orders (qty);',
      'alter table countries alter column id type numeric;',
    );
    expect(brief(findings)).toEqual([
      ['001', 'create-index-without-concurrently', 'note'],
      ['002', 'create-index-without-concurrently', 'error'],
      ['003', 'alter-column-type', 'note'],
    ]);
    expect(findings[0]?.message).toMatch(/public\.countries is small \(~250 rows, \d+ kB; at most 1000 rows/);
    expect(findings[1]?.message).toMatch(/public\.orders holds ~3 000 rows, \d+ kB\.$/);
  });
});

describe('ALTER COLUMN TYPE knows the old type', () => {
  test('binary-compatible changes pass without a waiver', async () => {
    const findings = await lint(
      'alter table orders alter column note type varchar(40);',
      'alter table orders alter column note type text;',
      'alter table orders alter column amount type numeric(14, 2);',
      'alter table orders alter column placed type timestamp(6);',
    );
    expect(findings.filter((finding) => finding.ruleId === 'alter-column-type')).toEqual([]);
  });

  test('a rewriting change names the rewrite and the size', async () => {
    const findings = await lint(
      'alter table orders alter column qty type bigint;',
      'alter table orders alter column amount type numeric(10, 3);',
      'alter table orders alter column note type varchar(10);',
      'alter table orders alter column qty type integer using qty::integer;',
    );
    expect(
      findings.filter((finding) => finding.ruleId === 'alter-column-type').map((f) => f.message),
    ).toEqual([
      expect.stringMatching(
        /^ALTER COLUMN orders\.qty TYPE int8 rewrites orders: integer → int8 is not binary-compatible; public\.orders holds ~3 000 rows/,
      ),
      expect.stringContaining('numeric(10,2) → numeric(10,3) changes the scale or lowers the precision'),
      expect.stringContaining('character varying(20) → varchar(10) shortens the limit'),
      // The old type is the one the first migration of the run gave it.
      expect.stringContaining('USING computes every row anew (int8 → int4)'),
    ]);
  });
});

describe('foreign keys know whether the referencing column is indexed', () => {
  test('a foreign key without an index on its columns is a warning; an index in the migration or the catalog serves it', async () => {
    const findings = await lint(
      'alter table orders add constraint orders_country_fk foreign key (country_id) references countries (id) not valid;',
      `alter table orders add constraint orders_country_fk2 foreign key (country_id) references countries (id) not valid;
create index concurrently orders_country_idx on orders (country_id);`,
      'alter table orders add constraint orders_region_fk foreign key (region_id) references countries (id) not valid;',
    );
    expect(brief(findings)).toEqual([['001', 'foreign-key-without-index', 'warning']]);
    expect(findings[0]?.message).toBe(
      'FOREIGN KEY orders (country_id) → countries: no index of orders starts with (country_id).',
    );
  });

  test('without a catalog the rule cannot know the existing indexes and stays quiet', async () => {
    const findings = await lintMigrations([
      {
        file: '001_shop_expand_fk.sql',
        sql: '-- migrate:up\nalter table orders add constraint f foreign key (country_id) references countries (id) not valid;\n',
      },
    ]);
    expect(findings).toEqual([]);
  });
});
