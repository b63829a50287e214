import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMigrator, type MigratorEvent } from '@strata/migrate';
import { sqlMigration } from '@strata/migration-fixtures';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Benchmark, Measurement } from '../benchmark.js';
import { quantile } from '../statistics.js';
import { startWriters } from '../writers.js';

const TABLE_ROWS = 100_000;
const READERS = 4;
// How long the long transaction keeps its lock while the migration waits for it.
const BLOCKER_MS = 3_000;
// Reading goes on this long after the blocker commits (the migration runs then).
const AFTER_MS = 500;

interface State {
  readerPool: pg.Pool;
  blocker: pg.Client;
  knex: Knex;
  directory: string;
  round: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Readers select random rows of the table in a closed loop; every read's latency is kept.
const readers = (pool: pg.Pool) =>
  startWriters(READERS, () =>
    pool.query('select balance from accounts where id = $1', [1 + Math.floor(Math.random() * TABLE_ROWS)]),
  );

// A long transaction (a report, a stuck job) holding ROW EXCLUSIVE on the table.
async function holdLock(blocker: pg.Client, ms: number): Promise<void> {
  await blocker.query('begin');
  await blocker.query('update accounts set balance = balance + 1 where id = 1');
  await sleep(ms);
  await blocker.query('commit');
}

const max = (values: readonly number[]): number => values.reduce((a, b) => Math.max(a, b), 0);

/**
 * A migration (ALTER TABLE … ADD COLUMN, ACCESS EXCLUSIVE) started while a long transaction
 * holds ROW EXCLUSIVE on the table for 3 s, with 4 readers selecting from it. Subject: the
 * longest stall any reader saw; baseline: the same readers and long transaction, no
 * migration. The migrator waits outside the lock queue, so readers never queue behind it for
 * more than the first attempt's lock_timeout (100 ms); target ≤ 250 ms. Lower is better.
 */
const lockWait: Benchmark<State> = {
  id: 'migrate.lock-wait.readers',
  subject: `longest reader stall while a migration waits ${BLOCKER_MS / 1000} s behind a long transaction (${READERS} readers)`,
  baseline: `longest reader stall with the same long transaction and no migration (${READERS} readers)`,
  unit: 'ms',
  higherIsBetter: false,
  rounds: 3,
  async setup({ createDatabase }) {
    const connectionString = await createDatabase('bench_migrate_lock_wait');
    const readerPool = new pg.Pool({ connectionString, max: READERS });
    await readerPool.query(
      'create table accounts (id bigint primary key, balance bigint not null, note text)',
    );
    await readerPool.query(
      'insert into accounts (id, balance) select i, i from generate_series(1, $1::int) i',
      [TABLE_ROWS],
    );
    await readerPool.query('vacuum analyze accounts');
    const blocker = new pg.Client({ connectionString, application_name: 'bench-long-transaction' });
    await blocker.connect();
    const knex = knexFactory({ client: 'pg', connection: connectionString, pool: { min: 1, max: 2 } });
    const directory = await mkdtemp(path.join(tmpdir(), 'strata-bench-lock-wait-'));
    return { readerPool, blocker, knex, directory, round: 0 };
  },
  async runSubject(state): Promise<Measurement> {
    state.round++;
    const column = `extra_${state.round}`;
    await writeFile(
      path.join(state.directory, `${String(state.round).padStart(3, '0')}_bench_expand_add_${column}.sql`),
      sqlMigration(
        `alter table accounts add column ${column} int;`,
        `alter table accounts drop column ${column};`,
      ),
    );
    const events: MigratorEvent[] = [];
    const migrator = createMigrator({
      directory: state.directory,
      knex: state.knex,
      lint: false,
      onEvent: (event) => events.push(event),
    });
    const reads = readers(state.readerPool);
    try {
      const blocked = holdLock(state.blocker, BLOCKER_MS);
      // The migration starts just after the long transaction: its first attempt still sees
      // a young transaction and tries (at most lock_timeout), then waits outside the queue.
      await sleep(20);
      const started = performance.now();
      const applying = migrator.up();
      await blocked;
      const result = await applying;
      await sleep(AFTER_MS);
      await reads.stop();
      const retries = events.filter((event) => event.type === 'lock-timeout-retry').length;
      const waits = events.filter((event) => event.type === 'lock-blocked').length;
      console.log(
        `  migrate.lock-wait.readers round ${state.round}: migration applied after ${((performance.now() - started) / 1000).toFixed(1)} s (${result.applied[0]?.attempts} attempt(s), ${retries} lock timeout(s), ${waits} lock-blocked report(s)); longest reader stall ${max(reads.latenciesMs).toFixed(1)} ms, p99 ${quantile(reads.latenciesMs, 0.99).toFixed(2)} ms over ${reads.latenciesMs.length} reads, ${reads.errors} reader errors`,
      );
    } finally {
      await reads.stop();
      await migrator.close();
    }
    return { value: max(reads.latenciesMs), latenciesMs: reads.latenciesMs };
  },
  async runBaseline(state): Promise<Measurement> {
    const reads = readers(state.readerPool);
    await holdLock(state.blocker, BLOCKER_MS);
    await sleep(AFTER_MS);
    await reads.stop();
    console.log(
      `  migrate.lock-wait.readers baseline: longest reader stall ${max(reads.latenciesMs).toFixed(1)} ms, p99 ${quantile(reads.latenciesMs, 0.99).toFixed(2)} ms over ${reads.latenciesMs.length} reads`,
    );
    return { value: max(reads.latenciesMs), latenciesMs: reads.latenciesMs };
  },
  async teardown({ readerPool, blocker, knex, directory }) {
    await blocker.end();
    await knex.destroy();
    await readerPool.end();
    await rm(directory, { recursive: true, force: true });
  },
};

export const benchmarks: Benchmark[] = [lockWait as Benchmark];
