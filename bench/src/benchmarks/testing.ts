import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dropDatabase } from '@strata/local-postgres/test-database';
import { createMigrator } from '@strata/migrate';
import { createPool, type Pool } from '@strata/pool';
import {
  assertNoConnectionLeak,
  createTemplateDatabase,
  createTestDatabase,
  openWorkerDatabase,
  withConnectionLeakCheck,
  withRollback,
} from '@strata/testing';
import pg from 'pg';
import type { Benchmark, Measurement } from '../benchmark.js';
import { median } from '../statistics.js';

const ITERATIONS = 400;

interface FixtureState {
  pool: Pool;
  client: pg.Client;
  databaseUrl: string;
}

/** Times each run of `operation`; `untimed` gets what it returned, after the clock stopped. */
async function timeEach<T>(
  iterations: number,
  operation: (index: number) => Promise<T>,
  untimed?: (result: T) => Promise<unknown>,
): Promise<Measurement> {
  const latenciesMs: number[] = [];
  for (let index = 0; index < iterations; index++) {
    const started = performance.now();
    const result = await operation(index);
    latenciesMs.push(performance.now() - started);
    await untimed?.(result);
  }
  return { value: median(latenciesMs), latenciesMs };
}

/**
 * What the rolled-back test fixture costs per test: withRollback around a one-row INSERT plus
 * the leak check, against the same work by hand on bare pg (BEGIN, SAVEPOINT, INSERT,
 * ROLLBACK — the shape a hand-written transactional fixture takes).
 */
const rollbackFixture: Benchmark<FixtureState> = {
  id: 'testing.rollback-fixture',
  subject: '@strata/testing withRollback + leak check (one INSERT)',
  baseline: 'bare pg BEGIN; SAVEPOINT; INSERT; ROLLBACK',
  unit: 'ms',
  higherIsBetter: false,
  rounds: 5,
  async setup({ createDatabase }) {
    const databaseUrl = await createDatabase('bench_testing_fixture');
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(
      'create table notes (id bigint generated always as identity primary key, body text not null)',
    );
    const pool = createPool({ connectionString: databaseUrl, min: 1, max: 2 }, { environment: {} });
    await pool.ready();
    return { pool, client, databaseUrl };
  },
  runSubject: ({ pool }) =>
    timeEach(ITERATIONS, async (index) => {
      await withRollback(pool, () => pool.query('insert into notes (body) values ($1)', [`note ${index}`]));
      assertNoConnectionLeak(pool);
    }),
  runBaseline: ({ client }) =>
    timeEach(ITERATIONS, async (index) => {
      await client.query('begin');
      await client.query('savepoint test');
      await client.query('insert into notes (body) values ($1)', [`note ${index}`]);
      await client.query('rollback');
    }),
  async teardown({ pool, client }) {
    await pool.close();
    await client.end();
  },
};

const TABLES = 15;

/** A realistic history: 15 tables chained by foreign keys, then 15 concurrent indexes. */
async function writeMigrationHistory(directory: string): Promise<void> {
  for (let table = 1; table <= TABLES; table++) {
    const name = `t${String(table).padStart(2, '0')}`;
    const parent = table > 1 ? `t${String(table - 1).padStart(2, '0')}` : undefined;
    const sql = `-- migrate:up
create table ${name} (
  id bigint generated always as identity primary key,
  ${parent ? `${parent}_id bigint not null references ${parent} (id),` : ''}
  code text not null,
  amount numeric(12, 2) not null default 0,
  created_at timestamptz not null default now()
);
create unique index ${name}_code_key on ${name} (code);

-- migrate:down
drop table ${name};
`;
    await writeFile(
      path.join(directory, `${String(table).padStart(3, '0')}_catalog_expand_create_${name}.sql`),
      sql,
    );
  }
  for (let table = 1; table <= TABLES; table++) {
    const name = `t${String(table).padStart(2, '0')}`;
    const column = table > 1 ? `t${String(table - 1).padStart(2, '0')}_id` : 'created_at';
    const sql = `-- migrate:up
create index concurrently ${name}_${column}_idx on ${name} (${column});

-- migrate:down
drop index concurrently ${name}_${column}_idx;
`;
    const seq = String(TABLES + table).padStart(3, '0');
    await writeFile(path.join(directory, `${seq}_catalog_expand_index_${name}_${column}.sql`), sql);
  }
}

/** Writes the 30-file history and migrates a template database `name` with it; returns the directory. */
async function createMigratedTemplate(serverUrl: string, name: string): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), 'strata-bench-migrations-'));
  await writeMigrationHistory(directory);
  await createTemplateDatabase({
    serverUrl,
    name,
    async migrate(url) {
      const migrator = createMigrator({ directory, connectionString: url });
      try {
        await migrator.up();
      } finally {
        await migrator.close();
      }
    },
  });
  return directory;
}

interface CloneState {
  serverUrl: string;
  directory: string;
  template: string;
  counter: number;
}

/**
 * A worker's database: cloned from the migrated template (what the harness does) against
 * running the migrator over the 30-file history into an empty database. Reported as
 * databases per second, so the ratio is migrate time / clone time.
 */
const cloneVsMigrate: Benchmark<CloneState> = {
  id: 'testing.clone-vs-migrate',
  subject: 'CREATE DATABASE … TEMPLATE (migrated template, 15 tables)',
  baseline: '@strata/migrate up over 30 files into an empty database',
  unit: 'databases/s',
  higherIsBetter: true,
  rounds: 5,
  async setup({ connectionString }) {
    const template = 'bench_testing_template';
    const directory = await createMigratedTemplate(connectionString, template);
    return { serverUrl: connectionString, directory, template, counter: 0 };
  },
  async runSubject(state) {
    const started = performance.now();
    const database = await createTestDatabase({
      serverUrl: state.serverUrl,
      template: state.template,
      name: `bench_clone_${state.counter++}`,
    });
    const elapsed = performance.now() - started;
    await database.drop();
    return { value: 1000 / elapsed, latenciesMs: [elapsed] };
  },
  async runBaseline(state) {
    const started = performance.now();
    const database = await createTestDatabase({
      serverUrl: state.serverUrl,
      name: `bench_migrate_${state.counter++}`,
    });
    const migrator = createMigrator({
      directory: state.directory,
      connectionString: database.connectionString,
    });
    try {
      await migrator.up();
    } finally {
      await migrator.close();
    }
    const elapsed = performance.now() - started;
    await database.drop();
    return { value: 1000 / elapsed };
  },
  async teardown({ serverUrl, directory, template }) {
    await dropDatabase(template, serverUrl);
    await rm(directory, { recursive: true, force: true });
  },
};

const FILES = 12;

interface FileSetupState {
  serverUrl: string;
  directory: string;
  template: string;
  /** The worker's database, cloned once, as the global setup does. */
  worker: string;
  counter: number;
}

/** A test file's first test, as `@strata/testing/vitest` runs it: rolled back, leak-checked. */
async function firstTest(pool: Pool): Promise<void> {
  await withRollback(pool, () =>
    withConnectionLeakCheck(pool, 'first test', () => pool.query('select count(*) from t01')),
  );
  assertNoConnectionLeak(pool);
}

/** Times `FILES` file starts; `start` returns the clean-up, run after the clock stopped. */
const timeFiles = (start: () => Promise<() => Promise<void>>) =>
  timeEach(FILES, start, (cleanUp) => cleanUp());

/**
 * What a test file costs the harness before its first test is done, on a worker whose database
 * the global setup already cloned: a pool on that database (its first connection opened) and
 * the first rolled-back, leak-checked test. Against cloning the template for the file first
 * (what one database per file costs), then the same pool and test. The template is the
 * 15-table history of testing.clone-vs-migrate. Medians in ms; the target is ≤ 25 ms.
 */
const fileSetup: Benchmark<FileSetupState> = {
  id: 'testing.file-setup',
  subject: '@strata/testing per-file setup (worker database already cloned) + first test',
  baseline: 'a database cloned from the template per file + the same pool and first test',
  unit: 'ms',
  higherIsBetter: false,
  rounds: 5,
  async setup({ connectionString }) {
    const template = 'bench_file_setup_template';
    const directory = await createMigratedTemplate(connectionString, template);
    const worker = 'bench_file_setup_worker';
    await createTestDatabase({ serverUrl: connectionString, template, name: worker });
    return { serverUrl: connectionString, directory, template, worker, counter: 0 };
  },
  runSubject: (state) =>
    timeFiles(async () => {
      const worker = await openWorkerDatabase({
        serverUrl: state.serverUrl,
        template: state.template,
        name: state.worker,
        pool: { min: 0, max: 5 },
      });
      await firstTest(worker.pool);
      return () => worker.close();
    }),
  runBaseline: (state) =>
    timeFiles(async () => {
      const database = await createTestDatabase({
        serverUrl: state.serverUrl,
        template: state.template,
        name: `bench_file_clone_${state.counter++}`,
      });
      const pool = createPool(
        { connectionString: database.connectionString, min: 0, max: 5 },
        { environment: {} },
      );
      await pool.ready();
      await firstTest(pool);
      return async () => {
        await pool.close();
        await database.drop();
      };
    }),
  async teardown({ serverUrl, directory, template, worker }) {
    await dropDatabase(worker, serverUrl);
    await dropDatabase(template, serverUrl);
    await rm(directory, { recursive: true, force: true });
  },
};

export const benchmarks: Benchmark[] = [
  rollbackFixture as Benchmark,
  cloneVsMigrate as Benchmark,
  fileSetup as Benchmark,
];
