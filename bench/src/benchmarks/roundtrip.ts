import { execFile } from 'node:child_process';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Benchmark } from '../benchmark.js';
import { runClosedLoop } from '../closed-loop.js';

const PGBENCH = process.env.PGBENCH ?? '/usr/lib/postgresql/15/bin/pgbench';
const CONCURRENCY = 8;
const DURATION_S = 3;

interface State {
  pool: pg.Pool;
  connectionString: string;
  scriptDir: string;
}

/**
 * `select 1` round trips: the cost of the Node driver and event loop against a C client
 * (pgbench, simple protocol, same concurrency and duration) on the same server.
 */
const select1: Benchmark<State> = {
  id: 'roundtrip.select1',
  subject: `bare pg.Pool select 1 (c${CONCURRENCY})`,
  baseline: `pgbench select 1 (c${CONCURRENCY})`,
  unit: 'ops/s',
  higherIsBetter: true,
  rounds: 5,
  async available() {
    return access(PGBENCH).then(
      () => true as const,
      () => ({
        skipped: `pgbench not found at ${PGBENCH} (apt-get install postgresql-client-15, or set PGBENCH)`,
      }),
    );
  },
  async setup({ connectionString }) {
    const pool = new pg.Pool({ connectionString, max: CONCURRENCY });
    const scriptDir = await mkdtemp(path.join(tmpdir(), 'strata-bench-'));
    await writeFile(path.join(scriptDir, 'select1.sql'), 'select 1;\n');
    return { pool, connectionString, scriptDir };
  },
  runSubject: ({ pool }) =>
    runClosedLoop({
      concurrency: CONCURRENCY,
      durationMs: DURATION_S * 1000,
      warmupMs: 300,
      operation: () => pool.query('select 1'),
    }),
  async runBaseline({ connectionString, scriptDir }) {
    const url = new URL(connectionString);
    const { stdout } = await promisify(execFile)(
      PGBENCH,
      [
        '-n',
        '-c',
        String(CONCURRENCY),
        '-j',
        '2',
        '-T',
        String(DURATION_S),
        '-f',
        path.join(scriptDir, 'select1.sql'),
        '-h',
        url.hostname,
        '-p',
        url.port || '5432',
        '-U',
        decodeURIComponent(url.username),
        url.pathname.slice(1) || 'postgres',
      ],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(url.password) } },
    );
    const tps = /tps = ([\d.]+)/.exec(stdout);
    if (!tps?.[1]) throw new Error(`Could not read tps from pgbench output:\n${stdout}`);
    return { value: Number(tps[1]) };
  },
  async teardown({ pool, scriptDir }) {
    await pool.end();
    await rm(scriptDir, { recursive: true, force: true });
  },
};

export const benchmarks: Benchmark[] = [select1 as Benchmark];
