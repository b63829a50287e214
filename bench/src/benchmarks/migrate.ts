import { batchUpdate } from '@strata/migrate';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import type { Benchmark, Measurement } from '../benchmark.js';
import { quantile } from '../statistics.js';

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

interface WriterRun {
  latenciesMs: number[];
  errors: number;
  stop: () => Promise<void>;
}

// Eight closed-loop writers updating random rows of their own range until stopped.
function startWriters(pool: pg.Pool): WriterRun {
  const latenciesMs: number[] = [];
  let errors = 0;
  let running = true;
  const writer = async () => {
    while (running) {
      const id = BACKFILL_ROWS + 1 + Math.floor(Math.random() * WRITER_ROWS);
      const started = performance.now();
      try {
        await pool.query('update ledger set amount = amount + 1, updated_at = now() where id = $1', [id]);
        latenciesMs.push(performance.now() - started);
      } catch {
        errors++;
      }
    }
  };
  const done = Promise.all(Array.from({ length: WRITERS }, writer));
  return {
    latenciesMs,
    get errors() {
      return errors;
    },
    stop: async () => {
      running = false;
      await done;
    },
  };
}

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
    const writers = startWriters(state.writerPool);
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
    const writers = startWriters(state.writerPool);
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

export const benchmarks: Benchmark[] = [backfill as Benchmark];
