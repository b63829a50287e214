import { setTimeout as sleep } from 'node:timers/promises';
import { type LocalPostgres, type LocalPostgresServer, startPostgres } from '@strata/local-postgres';
import { createPool, type Pool } from '@strata/pool';
import pg from 'pg';
import type { Benchmark, Measurement } from '../benchmark.js';
import { runClosedLoop } from '../closed-loop.js';

// These benchmarks need a primary with a streaming replica, so each starts a cluster of its
// own (not the runner's server). synchronous_commit is on, as in production: with it off, a
// commit returns before its WAL is written and no replica can have replayed it yet.
function startCluster(): Promise<LocalPostgres> {
  return startPostgres({
    providers: ['embedded'],
    replicas: 1,
    settings: { synchronous_commit: 'on', max_connections: 200 },
    log: false,
  });
}

const serversOf = (cluster: LocalPostgres) => ({
  primary: cluster.primary as LocalPostgresServer,
  replica: cluster.replicas[0] as LocalPostgresServer,
});

/** A libpq multi-host URL for `servers`, in order (they share the login). */
function multiHostUrl(servers: readonly LocalPostgresServer[]): string {
  const first = new URL((servers[0] as LocalPostgresServer).url);
  const hosts = servers.map((server) => new URL(server.url).host).join(',');
  return `postgres://${first.username}:${first.password}@${hosts}${first.pathname}?target_session_attrs=read-write`;
}

async function run(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/**
 * One clean switchover on a fresh cluster: a writer keeps inserting; the primary is stopped
 * (fast), the replica promoted; the figure is the time from the promotion's start to the
 * first insert that succeeds afterwards. `pool`: a Strata pool given both hosts, with its
 * default topologyCheckPeriod (1 s) and failoverBackoff (100 ms doubling to 1 s). `direct`:
 * a client told the new primary's address, retrying every 10 ms — the floor.
 */
async function measureSwitchover(mode: 'pool' | 'direct'): Promise<Measurement> {
  const cluster = await startCluster();
  const { primary, replica } = serversOf(cluster);
  let pool: Pool | undefined;
  let stopped = false;
  try {
    await run(primary.url, 'CREATE TABLE ledger (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())');
    let promotedAt = Number.POSITIVE_INFINITY;
    let firstWrite: number | undefined;
    let writer: Promise<void> = Promise.resolve();
    if (mode === 'pool') {
      const strata = createPool(
        { connectionString: multiHostUrl([primary, replica]), max: 4 },
        { environment: {} },
      );
      pool = strata;
      await strata.ready();
      writer = (async () => {
        while (!stopped) {
          try {
            await strata.query('INSERT INTO ledger DEFAULT VALUES');
            if (performance.now() > promotedAt) firstWrite ??= performance.now();
          } catch {
            // Waiting for the new primary: the pool answers once it found it, or after acquireTimeout.
          }
        }
      })();
    }
    await primary.stop({ mode: 'fast' });
    promotedAt = performance.now();
    const promotion = replica.promote();
    const giveUpAt = promotedAt + 60_000;
    const waiting = () => {
      if (performance.now() > giveUpAt)
        throw new Error(`no write succeeded within 60 s of the promotion (${mode})`);
      return firstWrite === undefined;
    };
    if (mode === 'direct') {
      while (waiting()) {
        try {
          await run(replica.url, 'INSERT INTO ledger DEFAULT VALUES');
          firstWrite = performance.now();
        } catch {
          await sleep(10);
        }
      }
    } else {
      while (waiting()) await sleep(5);
    }
    await promotion;
    stopped = true;
    await writer;
    return { value: (firstWrite as number) - promotedAt };
  } finally {
    stopped = true;
    await pool?.close();
    await cluster.stop();
  }
}

const switchover: Benchmark<undefined> = {
  id: 'pool.failover.switchover',
  subject: 'Strata pool with both hosts (read-write): promotion → first write',
  baseline: 'a client told the new primary, retrying every 10 ms: promotion → first write',
  unit: 'ms (promotion → first write)',
  higherIsBetter: false,
  rounds: 3,
  setup: async () => undefined,
  runSubject: () => measureSwitchover('pool'),
  runBaseline: () => measureSwitchover('direct'),
};

const ROWS = 10_000;
const CLIENTS = 16;
const WRITE_EVERY = 10;
const DURATION_MS = 2_000;
const WARMUP_MS = 300;
const READ = 'SELECT id, balance FROM accounts WHERE id = $1';
const WRITE = 'UPDATE accounts SET balance = balance + 1 WHERE id = $1';

interface ReadYourWritesState {
  cluster: LocalPostgres;
  pool: Pool;
}

const idFor = (index: number) => ((index * 7_919) % ROWS) + 1;

/**
 * 16 clients, each in a consistency session of its own (as the sample API gives each request);
 * every operation is one point read, and every 10th first updates a row. Each run of 10
 * operations belongs to one client, so its 9 reads follow a write of that client. Subject: reads through `pool.replica` (read-your-writes: a replica
 * that has replayed the client's last write, else the primary). Baseline: every read on the
 * primary. Primary and replica share this machine's CPUs.
 */
const readYourWrites: Benchmark<ReadYourWritesState> = {
  id: 'pool.replica.read-your-writes.c16',
  subject: `reads via pool.replica, read-your-writes per client, 1 write per ${WRITE_EVERY} reads (c${CLIENTS})`,
  baseline: `every read on the primary, same writes (c${CLIENTS})`,
  unit: 'reads/s',
  higherIsBetter: true,
  rounds: 5,
  async setup() {
    const cluster = await startCluster();
    const { primary, replica } = serversOf(cluster);
    await run(
      primary.url,
      `CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
       INSERT INTO accounts SELECT g, 0 FROM generate_series(1, ${ROWS}) AS g; ANALYZE accounts`,
    );
    const pool = createPool(
      { connectionString: primary.url, replicas: [replica.url], max: CLIENTS, min: CLIENTS },
      { environment: {} },
    );
    await pool.ready();
    return { cluster, pool };
  },
  runSubject({ pool }) {
    const sessions = Array.from({ length: CLIENTS }, () => pool.session());
    return runClosedLoop({
      concurrency: CLIENTS,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      operation: (index) =>
        (sessions[Math.floor(index / WRITE_EVERY) % CLIENTS] as (typeof sessions)[number]).run(async () => {
          if (index % WRITE_EVERY === 0) await pool.query(WRITE, [idFor(index)]);
          return pool.replica.query(READ, [idFor(index)]);
        }),
    });
  },
  runBaseline({ pool }) {
    return runClosedLoop({
      concurrency: CLIENTS,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      operation: async (index) => {
        if (index % WRITE_EVERY === 0) await pool.query(WRITE, [idFor(index)]);
        return pool.query(READ, [idFor(index)]);
      },
    });
  },
  async teardown({ cluster, pool }) {
    await pool.close();
    await cluster.stop();
  },
};

export const benchmarks: Benchmark[] = [switchover, readYourWrites] as Benchmark[];
