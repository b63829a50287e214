import type pg from 'pg';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createMigrator, type Migrator } from './create-migrator.js';
import { lintMigration, lintMigrations } from './lint/lint-migration.js';
import type { MigratorEvent } from './migrator-event.js';
import { type ConcurrentWriters, startWriters } from './test-support/concurrent-writers.js';
import {
  codeBlocks,
  type ExampleFile,
  lintExample,
  phasedExample,
  quickStartFiles,
  readLintGuide,
  readReadme,
} from './test-support/doc-examples.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from './test-support/test-database.js';

// Every SQL example of README.md and LINT.md runs verbatim, read from the Markdown, while a
// few clients keep inserting rows and updating old ones as the deployed application would
// (switching to the new code at the deploy). A blocked write only waits; a failed one fails
// the test.
const ROWS = 30_000;
const WRITERS = 4;

let readme: string;
let guide: string;
let db: TestDatabase;
let dir: MigrationsDirectory;
let writers: ConcurrentWriters | undefined;
let migrator: Migrator | undefined;
const warnings: string[] = [];

beforeAll(async () => {
  readme = await readReadme();
  guide = await readLintGuide();
});

beforeEach(async () => {
  db = await createTestDatabase();
  dir = await createMigrationsDirectory();
  warnings.length = 0;
});

afterEach(async () => {
  await writers?.stop();
  writers = undefined;
  await migrator?.close();
  migrator = undefined;
  await db.drop();
  await dir.cleanup();
});

const onEvent = (event: MigratorEvent): void => {
  if (event.type === 'lint-warning') warnings.push(`${event.file}:${event.line} ${event.ruleId}`);
};

const writeAll = async (files: readonly ExampleFile[]): Promise<void> => {
  for (const file of files) await dir.write(file.fileName, file.text);
};

const clients = (): Promise<pg.Client[]> => Promise.all(Array.from({ length: WRITERS }, () => db.client()));

const oldRow = (): number => 1 + Math.floor(Math.random() * ROWS);

test('the documentation has the SQL examples this file runs (a new one needs a scenario here)', () => {
  expect(codeBlocks(readme, 'sql')).toHaveLength(1);
  expect(quickStartFiles(readme).map((file) => file.fileName)).toHaveLength(6);
  expect(codeBlocks(guide, 'sql')).toHaveLength(2);
  expect(lintExample(guide).sql).toContain('-- migrate:up');
});

describe('README.md', () => {
  test('the quick start and the per-file timeouts example: no failed write while they run', async () => {
    const files = quickStartFiles(readme);
    const [create, ...rest] = files;
    const [timeouts = ''] = codeBlocks(readme, 'sql');
    migrator = createMigrator({ directory: dir.path, knex: db.knex, onEvent });
    await writeAll(create ? [create] : []);
    expect((await migrator.up()).applied.map((m) => m.seq)).toEqual([1]);
    await db.query(
      "insert into invoices (old_currency) select case when i % 3 = 0 then null else 'USD' end from generate_series(1, $1::int) i",
      [ROWS],
    );

    let newCode = false;
    writers = startWriters(await clients(), async (client, index) => {
      const currencyColumn = newCode ? 'currency' : 'old_currency';
      if (index % 2 === 0) {
        await client.query(`insert into invoices (${currencyColumn}) values ('CHF')`);
      } else {
        await client.query(`update invoices set ${currencyColumn} = 'GBP' where id = $1`, [oldRow()]);
      }
    });
    await writeAll(rest);
    await dir.write('007_reports_expand_currency_index.sql', timeouts);
    const before = await migrator.up();
    expect(before.applied.map((m) => m.seq)).toEqual([2, 3, 4, 5, 7]);
    expect(before.blocked).toEqual([expect.objectContaining({ seq: 6, blockedBy: 'deploy-gate' })]);
    const beforeDeploy = writers.writes();

    await migrator.markDeploy('v2.0.0');
    newCode = true;
    expect((await migrator.up({ postDeploy: true })).applied.map((m) => m.seq)).toEqual([6]);
    await writers.stop();

    expect(writers.errors).toEqual([]);
    expect(beforeDeploy).toBeGreaterThan(0);
    expect(writers.writes()).toBeGreaterThan(beforeDeploy);
    const [state] = await db.query<{ validated: boolean; missing: number; not_null: string }>(
      `select (select convalidated from pg_constraint where conname = 'invoices_currency_not_null') as validated,
              (select count(*)::int from invoices where currency is null) as missing`,
    );
    expect(state).toEqual({ validated: true, missing: 0 });
    // The only lint finding is the documented warning about the one-statement backfill.
    expect(warnings).toEqual(['003_billing_backfill_fill_currency.sql:2 unbounded-update']);
  });
});

describe('LINT.md', () => {
  test('the expand → backfill → validate → contract example passes the linter and fails no write', async () => {
    const [, phased = ''] = codeBlocks(guide, 'sql');
    const { beforeDeploy, afterDeploy } = phasedExample(phased);
    expect(beforeDeploy.map((file) => file.fileName)).toHaveLength(4);
    expect(afterDeploy.map((file) => file.fileName)).toHaveLength(1);
    const findings = await lintMigrations(
      [...beforeDeploy, ...afterDeploy].map((file) => ({ file: file.fileName, sql: file.text })),
    );
    expect(findings.map((f) => [f.file, f.ruleId])).toEqual([
      ['002_billing_backfill_currency.sql', 'unbounded-update'],
    ]);

    await db.query(
      "create table currencies (id bigint primary key, code text not null); insert into currencies values (1, 'EUR'), (2, 'USD')",
    );
    await db.query(
      'create table orders (id bigint generated always as identity primary key, currency_code text, amount int not null default 0)',
    );
    await db.query(
      "insert into orders (currency_code, amount) select 'EUR', i from generate_series(1, $1::int) i",
      [ROWS],
    );
    let newCode = false;
    writers = startWriters(await clients(), async (client, index) => {
      if (index % 2 === 1) {
        await client.query('update orders set amount = amount + 1 where id = $1', [oldRow()]);
      } else if (newCode) {
        await client.query('insert into orders (currency_id, amount) values (2, 1)');
      } else {
        await client.query("insert into orders (currency_code, amount) values ('USD', 1)");
      }
    });
    migrator = createMigrator({ directory: dir.path, knex: db.knex, onEvent });
    await writeAll([...beforeDeploy, ...afterDeploy]);
    expect((await migrator.up()).applied.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    const beforeDeployWrites = writers.writes();
    await migrator.markDeploy('v2.4.0');
    newCode = true;
    expect((await migrator.up({ postDeploy: true })).applied.map((m) => m.seq)).toEqual([5]);
    await writers.stop();

    expect(writers.errors).toEqual([]);
    expect(beforeDeployWrites).toBeGreaterThan(0);
    expect(writers.writes()).toBeGreaterThan(beforeDeployWrites);
    const [state] = await db.query<{ nullable: string; fk: boolean }>(
      `select (select is_nullable from information_schema.columns where table_name = 'orders' and column_name = 'currency_id') as nullable,
              (select convalidated from pg_constraint where conname = 'orders_currency_fk') as fk`,
    );
    expect(state).toEqual({ nullable: 'NO', fk: true });
  });

  test('the lintMigration example reports what it documents; it and the waiver example fail no write', async () => {
    const example = lintExample(guide);
    const [waivers = ''] = codeBlocks(guide, 'sql');
    const waiverFile = { fileName: '002_geo_expand_waived_changes.sql', text: `-- migrate:up\n${waivers}` };
    const found = await lintMigration({ file: example.file, phase: 'expand', sql: example.sql });
    expect(found.map((f) => ({ line: f.line, ruleId: f.ruleId }))).toEqual(example.findings);
    expect(await lintMigration({ file: waiverFile.fileName, phase: 'expand', sql: waiverFile.text })).toEqual(
      [],
    );

    await db.query(
      'create table orders (id bigint generated always as identity primary key, note varchar(200), amount int not null default 0)',
    );
    await db.query('create table countries (id bigint generated always as identity primary key, name text)');
    await db.query("insert into countries (name) select 'country ' || i from generate_series(1, 250) i");
    await db.query("insert into orders (note, amount) select 'note', i from generate_series(1, $1::int) i", [
      ROWS,
    ]);
    writers = startWriters(await clients(), async (client, index) => {
      if (index % 2 === 0) await client.query("insert into orders (note, amount) values ('new', 1)");
      else await client.query("update orders set note = 'changed' where id = $1", [oldRow()]);
    });
    // The lintMigration example is the documented mistake: it runs (blocking writes while the
    // index builds), but only with the linter off.
    await dir.write(example.file, example.sql);
    await dir.write(waiverFile.fileName, waiverFile.text);
    migrator = createMigrator({ directory: dir.path, knex: db.knex, lint: false });
    expect((await migrator.up()).applied.map((m) => m.seq)).toEqual([1, 2]);
    await writers.stop();
    expect(writers.errors).toEqual([]);
    expect(writers.writes()).toBeGreaterThan(0);
  });
});
