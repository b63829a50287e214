import { sqlMigration } from '@strata/migration-fixtures';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createMigrator } from './create-migrator.js';
import {
  createMigrationsDirectory,
  createTestDatabase,
  type MigrationsDirectory,
  type TestDatabase,
} from './test-support/test-database.js';

let db: TestDatabase;
let dir: MigrationsDirectory;

beforeEach(async () => {
  db = await createTestDatabase();
  dir = await createMigrationsDirectory();
});

afterEach(async () => {
  await db.drop();
  await dir.cleanup();
});

// The tables as version 0.1 of @strata/migrate created them: no `overrides`, no `evidence`.
const VERSION_0_1 = `
  create table strata_migrations (
    id bigint generated always as identity primary key, seq integer not null unique,
    name text not null unique, scope text not null,
    phase text not null check (phase in ('expand', 'backfill', 'validate', 'contract')),
    checksum text not null, applied_at timestamptz not null default clock_timestamp(),
    duration_ms integer not null, applied_by text not null,
    database_user text not null default current_user);
  create table strata_deploys (
    id bigint generated always as identity primary key, release text not null,
    marked_at timestamptz not null default clock_timestamp(), marked_by text not null,
    database_user text not null default current_user, history_high_water bigint not null);`;

test('history tables of an earlier version are read as they are and brought up to date by the next up', async () => {
  const first = sqlMigration('create table t (id bigint);', 'drop table t;');
  await dir.write('001_app_expand_create_t.sql', first);
  const migrator = createMigrator({ directory: dir.path, connectionString: db.connectionString });
  try {
    await migrator.up();
    const [applied] = await db.query<Record<string, unknown>>('select * from strata_migrations');
    // Recreate the old shape holding the same row, as a database migrated by 0.1 has it.
    await db.query('drop table strata_migrations, strata_deploys');
    await db.query(VERSION_0_1);
    await db.query(
      'insert into strata_migrations (seq, name, scope, phase, checksum, duration_ms, applied_by) values ($1, $2, $3, $4, $5, $6, $7)',
      [1, applied?.name, 'app', 'expand', applied?.checksum, 3, 'ci@runner'],
    );
    await db.query(
      "insert into strata_deploys (release, marked_by, history_high_water) values ('v1', 'ci', 1)",
    );

    // Reading commands do not change the tables.
    const status = await migrator.status();
    expect(status.migrations).toEqual([expect.objectContaining({ seq: 1, state: 'applied', overrides: [] })]);
    expect(await columns('strata_migrations')).not.toContain('overrides');

    await dir.write('002_app_expand_add_note.sql', sqlMigration('alter table t add column note text;'));
    expect((await migrator.up()).applied.map((m) => m.seq)).toEqual([2]);
    expect(await columns('strata_migrations')).toContain('overrides');
    expect(await columns('strata_deploys')).toContain('evidence');
    expect((await migrator.status()).migrations.map((m) => [m.seq, m.appliedBy, m.overrides])).toEqual([
      [1, 'ci@runner', []],
      [2, expect.any(String), []],
    ]);
    expect((await migrator.listDeploys()).map((deploy) => deploy.release)).toEqual(['v1']);
  } finally {
    await migrator.close();
  }
});

async function columns(table: string): Promise<string[]> {
  const rows = await db.query<{ column_name: string }>(
    'select column_name from information_schema.columns where table_name = $1 order by ordinal_position',
    [table],
  );
  return rows.map((row) => row.column_name);
}
