/** What every benchmark receives: one PostgreSQL server shared by the whole run. */
export interface BenchmarkContext {
  /** Connection string of the server the runner started (or STRATA_BENCH_DATABASE_URL). */
  connectionString: string;
  /** Creates an empty database on that server and returns its connection string. */
  createDatabase(name: string): Promise<string>;
}

/** One timed round of a subject or a baseline. */
export interface Measurement {
  /** The figure in the benchmark's `unit` (e.g. ops/s, rows/s, ms). */
  value: number;
  /** Per-operation latencies in ms, when the work is made of operations (for p50/p99). */
  latenciesMs?: number[];
  /** Operations that failed, for benchmarks that count them (reported, summed over rounds). */
  errors?: number;
}

/**
 * A named comparison. The runner calls `setup` once, then interleaves rounds of `subject`
 * and `baseline` (subject, baseline, subject, baseline, ...) so both see the same machine
 * state, reports the median of the per-round ratios, and calls `teardown`.
 * A baseline that cannot run here (e.g. pgbench missing) returns `{ skipped: reason }` from
 * `available`.
 */
export interface Benchmark<State = unknown> {
  id: string;
  /** Human name of what is measured, e.g. "Strata pool raw path". */
  subject: string;
  /** Human name of the baseline, e.g. "bare pg.Pool". */
  baseline: string;
  unit: string;
  higherIsBetter: boolean;
  /** Rounds of each side; defaults to 5. */
  rounds?: number;
  available?(): Promise<true | { skipped: string }>;
  setup(context: BenchmarkContext): Promise<State>;
  runSubject(state: State): Promise<Measurement>;
  runBaseline(state: State): Promise<Measurement>;
  teardown?(state: State): Promise<void>;
}
