import { type LocalPgBouncer, PgBouncerUnavailableError, startPgBouncer } from '@strata/local-postgres';
import { createPool, type Pool } from '@strata/pool';
import { Model } from 'objection';
import pg from 'pg';
import postgres from 'postgres';
import type { Benchmark, BenchmarkContext, Measurement } from '../benchmark.js';
import { runClosedLoop } from '../closed-loop.js';

const ROWS = 100_000;
const DURATION_MS = 2_000;
const WARMUP_MS = 300;
export const POINT_SELECT = 'SELECT id, balance, name FROM accounts WHERE id = $1';

// Spreads ids over the whole table without a random generator on the hot path.
export const idFor = (index: number) => ((index * 7_919) % ROWS) + 1;

let database: Promise<string> | undefined;

/** The 100k-row table, created once per run and shared by every pool benchmark. */
export function accountsDatabase(context: BenchmarkContext): Promise<string> {
  database ??= (async () => {
    const url = await context.createDatabase('bench_pool');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(
        'CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL, name text NOT NULL)',
      );
      await client.query(
        `INSERT INTO accounts SELECT g, g % 1000, 'account ' || g FROM generate_series(1, ${ROWS}) AS g`,
      );
      await client.query('VACUUM ANALYZE accounts');
    } finally {
      await client.end();
    }
    return url;
  })();
  return database;
}

class Account extends Model {
  static override tableName = 'accounts';
}

function strataPool(url: string, max: number): Pool {
  // The benchmark measures the query paths, not the housekeeping: defaults otherwise.
  return createPool(
    { connectionString: url, max, min: max, applicationName: 'bench_strata' },
    { environment: {} },
  );
}

function loop(concurrency: number, operation: (index: number) => Promise<unknown>): Promise<Measurement> {
  return runClosedLoop({ concurrency, durationMs: DURATION_MS, warmupMs: WARMUP_MS, operation });
}

interface VersusPgState {
  strata: Pool;
  bare: pg.Pool;
  bound: typeof Account;
}

/** A Strata query path against a bare `pg.Pool` of the same size (default, unnamed statements). */
function versusBarePg(
  id: string,
  path: string,
  concurrency: number,
  operation: (state: VersusPgState, index: number) => PromiseLike<unknown>,
): Benchmark<VersusPgState> {
  return {
    id,
    subject: `Strata pool ${path} point select (c${concurrency})`,
    baseline: `bare pg.Pool point select (c${concurrency})`,
    unit: 'ops/s',
    higherIsBetter: true,
    rounds: 5,
    async setup(context) {
      const url = await accountsDatabase(context);
      const strata = strataPool(url, concurrency);
      await strata.ready();
      const bare = new pg.Pool({ connectionString: url, max: concurrency });
      return { strata, bare, bound: strata.bindModel(Account) };
    },
    runSubject: (state) => loop(concurrency, async (index) => operation(state, index)),
    runBaseline: ({ bare }) => loop(concurrency, (index) => bare.query(POINT_SELECT, [idFor(index)])),
    async teardown({ strata, bare }) {
      await Promise.all([strata.close(), bare.end()]);
    },
  };
}

const raw = (state: VersusPgState, index: number) => state.strata.query(POINT_SELECT, [idFor(index)]);

const pointSelectRaw16 = versusBarePg('pool.point-select.raw.c16', 'raw', 16, raw);
const pointSelectRaw64 = versusBarePg('pool.point-select.raw.c64', 'raw', 64, raw);
const pointSelectKnex16 = versusBarePg('pool.point-select.knex.c16', 'Knex', 16, ({ strata }, index) =>
  strata
    .knex('accounts')
    .select('id', 'balance', 'name')
    .where({ id: idFor(index) })
    .first(),
);
const pointSelectObjection16 = versusBarePg(
  'pool.point-select.objection.c16',
  'Objection findById',
  16,
  ({ bound }, index) => bound.query().findById(idFor(index)),
);

interface VersusPostgresJsState {
  strata: Pool;
  sql: postgres.Sql;
}

const pointSelectVersusPostgresJs: Benchmark<VersusPostgresJsState> = {
  id: 'pool.point-select.raw-vs-postgresjs.c16',
  subject: 'Strata pool raw point select (c16)',
  baseline: 'postgres.js point select (c16, prepared)',
  unit: 'ops/s',
  higherIsBetter: true,
  rounds: 5,
  async setup(context) {
    const url = await accountsDatabase(context);
    const strata = strataPool(url, 16);
    await strata.ready();
    const sql = postgres(url, { max: 16, onnotice: () => {} });
    return { strata, sql };
  },
  runSubject: ({ strata }) => loop(16, (index) => strata.query(POINT_SELECT, [idFor(index)])),
  runBaseline: ({ sql }) =>
    loop(16, (index) => sql`SELECT id, balance, name FROM accounts WHERE id = ${idFor(index)}`),
  async teardown({ strata, sql }) {
    await Promise.all([strata.close(), sql.end()]);
  },
};

interface ThroughPgBouncerState {
  bouncer: LocalPgBouncer;
  strata: Pool;
  sql: postgres.Sql;
}

/** A closed loop that counts failed operations instead of stopping at the first. */
async function countingErrors(operation: (index: number) => PromiseLike<unknown>): Promise<Measurement> {
  let errors = 0;
  const measurement = await loop(16, async (index) => {
    try {
      await operation(index);
    } catch {
      errors += 1;
    }
  });
  return { ...measurement, errors };
}

const pointSelectThroughPgBouncer: Benchmark<ThroughPgBouncerState> = {
  id: 'pool.point-select.pgbouncer-tx.c16',
  subject: 'Strata pool raw point select through PgBouncer, transaction mode, default settings (c16)',
  baseline: 'postgres.js point select through the same PgBouncer (prepare: false, c16)',
  unit: 'ops/s',
  higherIsBetter: true,
  rounds: 5,
  async available() {
    // A PgBouncer in front of nothing starts (it connects to servers lazily): a cheap probe.
    try {
      const probe = await startPgBouncer({
        upstream: 'postgres://probe:probe@127.0.0.1:1/probe',
        providers: ['binary'],
        log: false,
      });
      await probe.stop();
      return true;
    } catch (error) {
      if (error instanceof PgBouncerUnavailableError) return { skipped: 'PgBouncer is not installed' };
      throw error;
    }
  },
  async setup(context) {
    const url = await accountsDatabase(context);
    const bouncer = await startPgBouncer({
      upstream: url,
      poolMode: 'transaction',
      providers: ['binary'],
      log: false,
    });
    // Defaults: pgbouncer 'auto' detects transaction pooling and runs statements unnamed.
    const strata = createPool(
      { connectionString: bouncer.url, max: 16, min: 16, applicationName: 'bench_strata' },
      { environment: {} },
    );
    strata.on('pgbouncer', () => {});
    await strata.ready();
    const sql = postgres(bouncer.url, { max: 16, prepare: false, onnotice: () => {} });
    return { bouncer, strata, sql };
  },
  runSubject: ({ strata }) => countingErrors((index) => strata.query(POINT_SELECT, [idFor(index)])),
  runBaseline: ({ sql }) =>
    countingErrors((index) => sql`SELECT id, balance, name FROM accounts WHERE id = ${idFor(index)}`),
  async teardown({ bouncer, strata, sql }) {
    await Promise.all([strata.close(), sql.end()]);
    await bouncer.stop();
  },
};

interface OversubscribedState {
  strata: Pool;
  bare: pg.Pool;
}

const POOL_SIZE = 16;
const CALLERS = POOL_SIZE * 4;

interface CheckedOut {
  query(text: string, values: unknown[]): Promise<unknown>;
  release(): void;
}

/** Each operation checks a connection out, runs a point select and releases it; the figure is the wait to check out. */
async function acquireLatencies(checkOut: () => Promise<CheckedOut>): Promise<Measurement> {
  const latencies: number[] = [];
  const measureFrom = performance.now() + WARMUP_MS;
  await runClosedLoop({
    concurrency: CALLERS,
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    async operation(index) {
      const started = performance.now();
      const client = await checkOut();
      const waited = performance.now() - started;
      try {
        await client.query(POINT_SELECT, [idFor(index)]);
      } finally {
        client.release();
      }
      if (started >= measureFrom) latencies.push(waited);
    },
  });
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
  return { value: p99, latenciesMs: latencies };
}

const acquireOversubscribed: Benchmark<OversubscribedState> = {
  id: 'pool.acquire.oversubscribed-4x',
  subject: `Strata pool acquire p99, ${CALLERS} callers on ${POOL_SIZE} connections`,
  baseline: `bare pg.Pool acquire p99, ${CALLERS} callers on ${POOL_SIZE} connections`,
  unit: 'ms (acquire p99)',
  higherIsBetter: false,
  rounds: 5,
  async setup(context) {
    const url = await accountsDatabase(context);
    const strata = strataPool(url, POOL_SIZE);
    await strata.ready();
    const bare = new pg.Pool({ connectionString: url, max: POOL_SIZE });
    return { strata, bare };
  },
  runSubject: ({ strata }) => acquireLatencies(() => strata.connect()),
  runBaseline: ({ bare }) => acquireLatencies(() => bare.connect()),
  async teardown({ strata, bare }) {
    await Promise.all([strata.close(), bare.end()]);
  },
};

export const benchmarks: Benchmark[] = [
  pointSelectRaw16,
  pointSelectRaw64,
  pointSelectKnex16,
  pointSelectObjection16,
  pointSelectVersusPostgresJs,
  pointSelectThroughPgBouncer,
  acquireOversubscribed,
] as Benchmark[];
