import { spawn } from 'node:child_process';
import path from 'node:path';
import type { RunningServer } from '@strata/api';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import type { Benchmark, Measurement } from '../benchmark.js';

const CONNECTIONS = 50;
const DURATION_S = 3;
const WARMUP_S = 1;
const USERS = 10_000;
const POOL_SIZE = 20;
const BENCH_DIR = path.resolve(import.meta.dirname, '..', '..');

// The load generator, run in a second process so it does not share the servers' event loop:
// autocannon at CONNECTIONS connections, each request for another existing user, reporting
// requests per second and every response time.
const LOAD_SCRIPT = `
const autocannon = require('autocannon');
const [url, connections, duration, users] = process.argv.slice(1);
let next = 0;
const latencies = [];
const instance = autocannon({
  url,
  connections: Number(connections),
  duration: Number(duration),
  requests: [{ setupRequest(request) {
    next = (next + 7919) % Number(users);
    return { ...request, path: '/users/' + (next + 1) };
  } }],
});
instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
instance.on('done', (result) => {
  process.stdout.write(JSON.stringify({
    requests: result.requests.total, seconds: result.duration, non2xx: result.non2xx,
    errors: result.errors, timeouts: result.timeouts, latencies,
  }));
});
`;

interface LoadResult {
  requests: number;
  seconds: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencies: number[];
}

function runLoad(baseUrl: string, durationS: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-e', LOAD_SCRIPT, baseUrl, String(CONNECTIONS), String(durationS), String(USERS)],
      // From the bench folder, where autocannon is installed.
      { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with ${code}`));
      const result = JSON.parse(output) as LoadResult;
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        return reject(
          new Error(
            `${baseUrl}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
          ),
        );
      }
      resolve(result);
    });
  });
}

async function measure(baseUrl: string, p99s: number[]): Promise<Measurement> {
  const result = await runLoad(baseUrl, DURATION_S);
  const sorted = [...result.latencies].sort((a, b) => a - b);
  p99s.push(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? Number.NaN);
  return { value: result.requests / result.seconds, latenciesMs: result.latencies };
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The baseline: the same query on a bare pg.Pool of the same size, in a minimal Fastify route. */
async function startBareServer(
  connectionString: string,
): Promise<{ url: string; app: FastifyInstance; pool: pg.Pool }> {
  const pool = new pg.Pool({ connectionString, max: POOL_SIZE });
  const app = Fastify();
  app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
    const { rows } = await pool.query('select * from users where id = $1', [request.params.id]);
    if (rows.length === 0) return reply.code(404).send({ message: 'not found' });
    return rows[0];
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, app, pool };
}

interface State {
  strata: RunningServer;
  bare: { url: string; app: FastifyInstance; pool: pg.Pool };
  /** p99 latency of each round, per side (the runner reports the subject's only). */
  p99s: { strata: number[]; bare: number[] };
}

/**
 * `GET /users/:id` through the whole sample API — zod validation, the repository's prepared
 * read and model hydration, the response schema, request ids, metrics — against a minimal
 * Fastify route running the same query on bare `pg`. Both in this process, on 127.0.0.1,
 * with pools of the same size and no request logging (LOG_LEVEL=warn for the API); the load
 * comes from autocannon in a second process.
 */
const getUser: Benchmark<State> = {
  id: 'api.get-user.c50',
  subject: `Strata sample API GET /users/:id (c${CONNECTIONS}, autocannon)`,
  baseline: `minimal Fastify route + bare pg GET /users/:id (c${CONNECTIONS})`,
  unit: 'req/s',
  higherIsBetter: true,
  // Seven pairs of 3 s rounds: HTTP load on a shared 2-core machine is noisy, and the ratio is
  // the median of the per-round ratios.
  rounds: 7,
  async setup(context) {
    const connectionString = await context.createDatabase('bench_api');
    const { startServer } = await import('@strata/api');
    // Migrations run at start, as with `pnpm start`; then the users are loaded.
    const strata = await startServer({
      environment: {},
      config: { databaseUrl: connectionString, host: '127.0.0.1', port: 0, logLevel: 'warn' },
      pool: { max: POOL_SIZE, min: POOL_SIZE },
    });
    await strata.pool.query(
      `insert into users (email, name)
       select 'user' || g || '@example.com', 'User ' || g from generate_series(1, ${USERS}) as g`,
    );
    await strata.pool.query('vacuum analyze users');
    const bare = await startBareServer(connectionString);
    // Warm both (JIT, prepared statements, pools) before the timed rounds.
    await runLoad(strata.url, WARMUP_S);
    await runLoad(bare.url, WARMUP_S);
    return { strata, bare, p99s: { strata: [], bare: [] } };
  },
  runSubject: ({ strata, p99s }) => measure(strata.url, p99s.strata),
  runBaseline: ({ bare, p99s }) => measure(bare.url, p99s.bare),
  async teardown({ strata, bare, p99s }) {
    const show = (values: readonly number[]) => `${median(values)?.toFixed(2)} ms`;
    console.log(
      `api.get-user.c50: median p99 of the rounds — Strata API ${show(p99s.strata)}, bare Fastify + pg ${show(p99s.bare)}`,
    );
    await bare.app.close();
    await bare.pool.end();
    await strata.close();
  },
};

export const benchmarks: Benchmark[] = [getUser as Benchmark];
