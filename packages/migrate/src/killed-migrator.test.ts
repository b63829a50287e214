import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
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
let child: ChildProcess | undefined;

beforeEach(async () => {
  db = await createTestDatabase();
  dir = await createMigrationsDirectory();
});

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await db.drop();
  await dir.cleanup();
});

// Polls a condition that the test waits for (not a timing threshold: the test timeout bounds it).
async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await sleep(50);
}

const migratorBackends = async (): Promise<{ query: string }[]> =>
  db.query(
    "select query from pg_stat_activity where datname = current_database() and application_name = 'strata-migrate'",
  );

test('a migrator killed mid-migration leaves nothing half-applied, and the rerun completes', {
  timeout: 60_000,
}, async () => {
  await db.query(
    'create table sleep_control (armed boolean not null); insert into sleep_control values (true)',
  );
  await dir.write(
    '001_a_expand_create_first.sql',
    sqlMigration('create table first (id int);', 'drop table first;'),
  );
  await dir.write(
    '002_a_expand_create_second.sql',
    sqlMigration(
      'create table half_applied (id int);\nselect pg_sleep(case when (select armed from sleep_control) then 25 else 0 end);\ncreate table second (id int);',
      'drop table second;\ndrop table half_applied;',
    ),
  );

  const script = fileURLToPath(new URL('./test-support/run-migrator-child.ts', import.meta.url));
  child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      STRATA_MIGRATIONS_DIRECTORY: dir.path,
      STRATA_MIGRATE_DATABASE_URL: db.connectionString,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });

  // Kill it while the second migration sleeps inside its transaction.
  await waitFor(
    async () =>
      (await migratorBackends()).some((backend) => backend.query.includes('pg_sleep')) ||
      child?.exitCode !== null,
  );
  expect(output).toContain('"type":"migration-start","name":"002_a_expand_create_second"');
  child.kill('SIGKILL');
  await once(child, 'exit');

  // PostgreSQL notices the dead client (client_connection_check_interval), rolls back and ends the session.
  await waitFor(async () => (await migratorBackends()).length === 0);
  expect(await db.query("select to_regclass('half_applied') as t")).toEqual([{ t: null }]);
  expect(await db.query('select name from strata_migrations')).toEqual([
    { name: '001_a_expand_create_first' },
  ]);
  // pg_locks is server-wide; other tests run on the same server.
  expect(
    await db.query(
      "select * from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())",
    ),
  ).toEqual([]);

  await db.query('update sleep_control set armed = false');
  const migrator = createMigrator({ directory: dir.path, connectionString: db.connectionString });
  try {
    const result = await migrator.up();
    expect(result.applied.map((m) => m.name)).toEqual(['002_a_expand_create_second']);
  } finally {
    await migrator.close();
  }
  expect(
    await db.query("select to_regclass('half_applied')::text as a, to_regclass('second')::text as b"),
  ).toEqual([{ a: 'half_applied', b: 'second' }]);
  expect(await db.query('select count(*)::int as n from strata_migrations')).toEqual([{ n: 2 }]);
});
