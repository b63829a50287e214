import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Benchmark, Measurement } from '../benchmark.js';
import { median } from '../statistics.js';

/** Fresh Node processes per round and side; each process measures one cold import. */
const PROCESSES = 11;

/**
 * Runs `script` (an ES module body that prints one number of milliseconds) in a fresh Node
 * process, from this package's folder so that it resolves the workspace's built packages.
 */
async function timeInFreshProcess(script: string): Promise<number> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
    cwd: import.meta.dirname,
  });
  const value = Number(stdout.trim());
  if (!Number.isFinite(value)) throw new Error(`the import-time process printed ${JSON.stringify(stdout)}`);
  return value;
}

/** The median over `PROCESSES` fresh processes of what `script` prints. */
async function medianOfProcesses(script: string): Promise<Measurement> {
  const latenciesMs: number[] = [];
  for (let index = 0; index < PROCESSES; index++) latenciesMs.push(await timeInFreshProcess(script));
  return { value: median(latenciesMs), latenciesMs };
}

const timed = (body: string, before = '') =>
  `${before}\nconst started = performance.now();\n${body}\nconsole.log(performance.now() - started);`;

// With require, as @strata/telemetry loads it: an ES import would load the API's other build.
const OPENTELEMETRY_LOADED =
  "(await import('node:module')).createRequire(process.cwd() + '/')('@opentelemetry/api');";

/**
 * What a process pays to load the pool: `import('@strata/pool')` against `import('pg')`, each
 * the first import of a fresh process. The workspace has `@opentelemetry/api` installed; the
 * pool looks it up only when a pool is created, so the figure is the same without it.
 */
const importPool: Benchmark = {
  id: 'pool.import',
  subject: "import('@strata/pool') in a fresh process (median of 11 processes)",
  baseline: "import('pg') in a fresh process (median of 11 processes)",
  unit: 'ms',
  higherIsBetter: false,
  rounds: 5,
  async setup() {},
  runSubject: () => medianOfProcesses(timed("await import('@strata/pool');")),
  runBaseline: () => medianOfProcesses(timed("await import('pg');")),
};

/**
 * The whole start-up of a pool, not only its import: import, then a pool created from a URL
 * (configuration validated, the schema built, OpenTelemetry looked up) and closed, against
 * `pg` imported and a `pg.Pool` created and ended. Neither side connects. `@opentelemetry/api`
 * is installed in this workspace; both processes load it before the clock starts, as an
 * application with an OpenTelemetry SDK has (without it installed, the pool's failed lookup
 * costs a few ms; an application that imports the API as an ES module gets its CommonJS build
 * loaded as well, which costs about as much as the API's import).
 */
const createPoolStartup: Benchmark = {
  id: 'pool.import.create-pool',
  subject:
    'import @strata/pool + createPool(url) + close, fresh process with @opentelemetry/api loaded (median of 11)',
  baseline: 'import pg + new pg.Pool(url) + end, fresh process with @opentelemetry/api loaded (median of 11)',
  unit: 'ms',
  higherIsBetter: false,
  rounds: 5,
  async setup() {},
  runSubject: () =>
    medianOfProcesses(
      timed(
        [
          "const { createPool } = await import('@strata/pool');",
          "const pool = createPool({ connectionString: 'postgres://app@127.0.0.1:1/app' }, { environment: {} });",
          'await pool.close();',
        ].join('\n'),
        OPENTELEMETRY_LOADED,
      ),
    ),
  runBaseline: () =>
    medianOfProcesses(
      timed(
        [
          "const { default: pg } = await import('pg');",
          "const pool = new pg.Pool({ connectionString: 'postgres://app@127.0.0.1:1/app' });",
          'await pool.end();',
        ].join('\n'),
        OPENTELEMETRY_LOADED,
      ),
    ),
};

export const benchmarks: Benchmark[] = [importPool, createPoolStartup];
