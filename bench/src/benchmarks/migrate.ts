import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { batchUpdate, createMigrator } from '@strata/migrate';
import { sqlMigration } from '@strata/migration-fixtures';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Benchmark, BenchmarkContext, Measurement } from '../benchmark.js';
import { quantile } from '../statistics.js';
import { startWriters } from '../writers.js';

const BACKFILL_ROWS = 1_000_000;
// The writers' rows: part of the same table, outside the rows the backfill touches.
const WRITER_ROWS = 10_000;
const WRITERS = 8;
const BATCH_SIZE = 1_000;
const BASELINE_MS = 5_000;

interface State {
  writerPool: pg.Pool;
  knex: Knex;
  round: number;
}

// The backfill benchmark's writers update random rows of their own range, outside the backfill.
const ledgerUpdates = (pool: pg.Pool) => () =>
  pool.query('update ledger set amount = amount + 1, updated_at = now() where id = $1', [
    BACKFILL_ROWS + 1 + Math.floor(Math.random() * WRITER_ROWS),
  ]);

const p99 = (values: number[]): number => quantile(values, 0.99);

/**
 * `batchUpdate` backfilling a new column on 1M rows while 8 writers keep updating other rows
 * of the same table. Subject: the writers' p99 during the backfill; baseline: their p99 with
 * no backfill. Lower is better; the target is ≤ 2× with no writer error. Each round backfills
 * a fresh column, so rows/s and writer errors are logged per round.
 */
const backfill: Benchmark<State> = {
  id: 'migrate.backfill.1m',
  subject: `writers' p99 during a batchUpdate backfill of 1M rows (${WRITERS} writers, batches of ${BATCH_SIZE})`,
  baseline: `writers' p99 with no backfill (${WRITERS} writers)`,
  unit: 'ms',
  higherIsBetter: false,
  // Each round rewrites 1M rows; three rounds keep the run to a couple of minutes.
  rounds: 3,
  async setup({ createDatabase }) {
    const connectionString = await createDatabase('bench_migrate_backfill');
    const writerPool = new pg.Pool({ connectionString, max: WRITERS });
    await writerPool.query(`
      create table ledger (
        id bigint primary key,
        account bigint not null,
        amount bigint not null,
        currency text,
        updated_at timestamptz not null default now()
      )`);
    await writerPool.query(
      `insert into ledger (id, account, amount, currency)
       select i, i % 1000, i, case when i > $1 then 'EUR' end from generate_series(1, $2::bigint) i`,
      [BACKFILL_ROWS, BACKFILL_ROWS + WRITER_ROWS],
    );
    await writerPool.query('vacuum analyze ledger');
    const knex = knexFactory({ client: 'pg', connection: connectionString, pool: { min: 1, max: 2 } });
    return { writerPool, knex, round: 0 };
  },
  async runSubject(state): Promise<Measurement> {
    state.round++;
    const column = `currency_${state.round}`;
    // The (instant) ADD COLUMN runs before the writers start: only the backfill is measured.
    await state.knex.raw(`alter table ledger add column ${column} text`);
    const writers = startWriters(WRITERS, ledgerUpdates(state.writerPool));
    const result = await batchUpdate(state.knex, {
      table: 'ledger',
      set: { [column]: state.knex.raw("coalesce(currency, 'USD')") },
      where: state.knex.raw(`${column} is null and id <= ?`, [BACKFILL_ROWS]),
      batchSize: BATCH_SIZE,
    });
    await writers.stop();
    console.log(
      `  migrate.backfill.1m round ${state.round}: ${result.rowsUpdated} rows in ${(result.elapsedMs / 1000).toFixed(1)} s = ${result.rowsPerSecond} rows/s, ${result.batches} batches, ${result.retries} retried; writers p99 ${p99(writers.latenciesMs).toFixed(2)} ms over ${writers.latenciesMs.length} updates, ${writers.errors} writer errors`,
    );
    // Reclaim the dead row versions outside the measurement, so rounds see the same table.
    await state.writerPool.query('vacuum ledger');
    return { value: p99(writers.latenciesMs), latenciesMs: writers.latenciesMs };
  },
  async runBaseline(state): Promise<Measurement> {
    const writers = startWriters(WRITERS, ledgerUpdates(state.writerPool));
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    await writers.stop();
    if (writers.errors > 0) console.log(`  migrate.backfill.1m baseline: ${writers.errors} writer errors`);
    return { value: p99(writers.latenciesMs), latenciesMs: writers.latenciesMs };
  },
  async teardown({ writerPool, knex }) {
    await knex.destroy();
    await writerPool.end();
  },
};

const ZERO_DOWNTIME_ROWS = 1_000_000;

interface ZeroDowntimeState {
  context: BenchmarkContext;
  round: number;
  baselineUrl: string;
}

async function createLedger(connectionString: string, withNote = false): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(`create table ledger (
      id bigint generated always as identity primary key,
      account bigint not null,
      amount bigint not null,
      updated_at timestamptz not null default now()${withNote ? ', note text' : ''})`);
    await client.query(
      'insert into ledger (account, amount) select i % 1000, i from generate_series(1, $1::int) i',
      [ZERO_DOWNTIME_ROWS],
    );
    await client.query('vacuum analyze ledger');
  } finally {
    await client.end();
  }
}

// Half the writers update random rows, half insert; after the code deploy (`newCode()` true)
// they also write the new column, as the application would.
const applicationWrites = (pool: pg.Pool, newCode: () => boolean) => (index: number) => {
  const id = 1 + Math.floor(Math.random() * ZERO_DOWNTIME_ROWS);
  if (index % 2 === 0) {
    return newCode()
      ? pool.query('update ledger set amount = amount + 1, note = coalesce(note, $2) where id = $1', [
          id,
          'app',
        ])
      : pool.query('update ledger set amount = amount + 1 where id = $1', [id]);
  }
  return newCode()
    ? pool.query('insert into ledger (account, amount, note) values ($1, 1, $2)', [index, 'app'])
    : pool.query('insert into ledger (account, amount) values ($1, 1)', [index]);
};

/**
 * The zero-downtime proof on 1M rows: under 8 writers, the migrator adds a nullable column
 * (expand), the code deploy starts writing it, a NOT VALID check is added (expand), an index
 * is built concurrently, batchUpdate backfills, and the check is validated (validate).
 * Subject: the writers' p99 during that whole sequence; baseline: their p99 on the same
 * table with no migration. Lower is better; target ≤ 2× and no writer error.
 */
const zeroDowntime: Benchmark<ZeroDowntimeState> = {
  id: 'migrate.zero-downtime.1m',
  subject: `writers' p99 during add column, NOT VALID check + validate, backfill and concurrent index on 1M rows (${WRITERS} writers)`,
  baseline: `writers' p99 on the same table with no migration (${WRITERS} writers)`,
  unit: 'ms',
  higherIsBetter: false,
  rounds: 2,
  async setup(context) {
    const baselineUrl = await context.createDatabase('bench_migrate_zero_downtime_base');
    await createLedger(baselineUrl, true);
    return { context, round: 0, baselineUrl };
  },
  async runSubject(state): Promise<Measurement> {
    state.round++;
    const url = await state.context.createDatabase(`bench_migrate_zero_downtime_${state.round}`);
    await createLedger(url);
    const directory = await mkdtemp(path.join(tmpdir(), 'strata-bench-zero-downtime-'));
    const write = (name: string, up: string, down: string) =>
      writeFile(path.join(directory, name), sqlMigration(up, down));
    await write(
      '001_ledger_note_expand_add_note.sql',
      'alter table ledger add column note text;',
      'alter table ledger drop column note;',
    );
    await write(
      '002_ledger_account_expand_index_account.sql',
      'create index concurrently ledger_account_idx on ledger (account);',
      'drop index concurrently ledger_account_idx;',
    );
    const pool = new pg.Pool({ connectionString: url, max: WRITERS });
    const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 1, max: 2 } });
    const migrator = createMigrator({ directory, knex, lint: false });
    let newCode = false;
    const started = performance.now();
    const writers = startWriters(
      WRITERS,
      applicationWrites(pool, () => newCode),
    );
    try {
      await migrator.up();
      newCode = true; // the code deploy after the expand
      await write(
        '003_ledger_note_expand_add_note_check.sql',
        'alter table ledger add constraint ledger_note_present check (note is not null) not valid;',
        'alter table ledger drop constraint ledger_note_present;',
      );
      await migrator.up();
      await batchUpdate(knex, {
        table: 'ledger',
        set: { note: 'backfilled' },
        where: { note: null },
        batchSize: BATCH_SIZE,
      });
      await write(
        '004_ledger_note_validate_validate_note_present.sql',
        'alter table ledger validate constraint ledger_note_present;',
        'alter table ledger drop constraint ledger_note_present;\nalter table ledger add constraint ledger_note_present check (note is not null) not valid;',
      );
      await migrator.up();
    } finally {
      await writers.stop();
      await migrator.close();
      await knex.destroy();
      await pool.end();
      await rm(directory, { recursive: true, force: true });
    }
    console.log(
      `  migrate.zero-downtime.1m round ${state.round}: migration sequence ${((performance.now() - started) / 1000).toFixed(1)} s; writers p99 ${p99(writers.latenciesMs).toFixed(2)} ms over ${writers.latenciesMs.length} writes, ${writers.errors} writer errors`,
    );
    return { value: p99(writers.latenciesMs), latenciesMs: writers.latenciesMs };
  },
  async runBaseline(state): Promise<Measurement> {
    const pool = new pg.Pool({ connectionString: state.baselineUrl, max: WRITERS });
    const writers = startWriters(
      WRITERS,
      applicationWrites(pool, () => true),
    );
    await new Promise((resolve) => setTimeout(resolve, BASELINE_MS));
    await writers.stop();
    await pool.end();
    if (writers.errors > 0)
      console.log(`  migrate.zero-downtime.1m baseline: ${writers.errors} writer errors`);
    return { value: p99(writers.latenciesMs), latenciesMs: writers.latenciesMs };
  },
};

export const benchmarks: Benchmark[] = [backfill as Benchmark, zeroDowntime as Benchmark];
