import { ConnectionError } from '@strata/errors';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createPool } from './create-pool.js';
import { maxRoundsWithin } from './failover-backoff.js';
import { NoMatchingServerError } from './no-matching-server-error.js';
import type { Pool } from './pool.js';
import type { PoolConfigInput } from './pool-config-input.js';
import {
  eventually,
  nextEvent,
  type ReplicaCluster,
  sql,
  startCluster,
} from './test-support/replica-cluster.js';

type Server = ReplicaCluster['primary'];

/** A libpq multi-host URL naming `servers` in this order (they share the login). */
function multiHostUrl(servers: readonly Server[], attrs?: string): string {
  const first = new URL((servers[0] as Server).url);
  const hosts = servers.map((server) => new URL(server.url).host).join(',');
  const query = attrs === undefined ? '' : `?target_session_attrs=${attrs}`;
  return `postgres://${first.username}:${first.password}@${hosts}${first.pathname}${query}`;
}

const backoff = { baseDelay: 50, maxDelay: 500 };
const MAX = 4;

function failoverPool(connectionString: string, config: PoolConfigInput = {}): Pool {
  return createPool(
    {
      connectionString,
      max: MAX,
      min: 2,
      acquireTimeout: 1_000,
      topologyCheckPeriod: 200,
      failoverBackoff: backoff,
      ...config,
    },
    { environment: {} },
  );
}

/**
 * `concurrency` callers inserting increasing ids into `ledger` as fast as they can, retrying at
 * once after an error (a naive client, the worst case for a connection storm). Remembers which
 * inserts were acknowledged, every error, and the first insert that succeeded among those
 * started after `markOutage()`: when, and how many connection attempts the pool had made.
 */
function startWriters(pool: Pool, concurrency: number) {
  let next = 1;
  let stopped = false;
  let outageSince: number | undefined;
  const acknowledged: number[] = [];
  const errors: unknown[] = [];
  let recovered: { at: number; attempts: number } | undefined;
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped && !pool.closed) {
      const id = next++;
      const startedAt = performance.now();
      try {
        await pool.query('INSERT INTO ledger (id) VALUES ($1)', [id]);
        acknowledged.push(id);
        if (outageSince !== undefined && startedAt > outageSince && recovered === undefined) {
          recovered = { at: performance.now(), attempts: pool.stats().connectAttempts };
        }
      } catch (error) {
        errors.push(error);
      }
    }
  });
  return {
    acknowledged,
    errors,
    get recovered() {
      return recovered;
    },
    /** From now on the server is down; the next insert that succeeds ends the outage. */
    markOutage(): void {
      outageSince = performance.now();
    },
    until: (done: () => boolean) =>
      eventually(
        async () => done(),
        (value) => value,
      ),
    async stop(): Promise<void> {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/**
 * Connection attempts the pool may make from the loss of the primary until its first write on
 * the new one: the opens under way when the loss showed (at most `max`, one attempt each), the
 * search — every host probed once per round, and no more rounds than the backoff allows in
 * that time, plus the round under way — and the opens that refill the pool on the new primary
 * (at most `max`). A pool that opened a connection per call, as before, makes thousands.
 */
function attemptBound(hosts: number, elapsedMs: number): number {
  return MAX + hosts * (maxRoundsWithin(elapsedMs, backoff) + 1) + MAX;
}

/**
 * Once the pool wrote on the new primary: 50 more writes, then what every failover must show —
 * no acknowledged write missing there, only typed connection errors on the way, and connection
 * attempts since the loss (`lost`) within `attemptBound`.
 */
async function expectResumedOn(
  newPrimary: Server,
  pool: Pool,
  writers: ReturnType<typeof startWriters>,
  lost: { at: number; attempts: number },
): Promise<void> {
  await writers.until(() => writers.recovered !== undefined);
  const atRecovery = writers.acknowledged.length;
  await writers.until(() => writers.acknowledged.length >= atRecovery + 50);
  await writers.stop();

  const stored = new Set(
    (await sql<{ id: number }>(newPrimary.url, 'SELECT id FROM ledger')).map((row) => row.id),
  );
  expect(writers.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  for (const error of writers.errors) expect(error).toBeInstanceOf(ConnectionError);
  expect(pool.topology()).toMatchObject({
    primary: { host: '127.0.0.1', port: newPrimary.port },
    resolving: false,
  });
  const recovered = writers.recovered as { at: number; attempts: number };
  expect(recovered.attempts - lost.attempts).toBeLessThanOrEqual(attemptBound(2, recovered.at - lost.at));
}

describe('choosing among several hosts', () => {
  let cluster: ReplicaCluster;
  let primary: Server;
  let replica: Server;
  const pools: Pool[] = [];

  beforeAll(async () => {
    cluster = await startCluster(1);
    primary = cluster.primary;
    replica = cluster.replicas[0] as Server;
  });

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.close()));
    await cluster?.stop();
  });

  test.each([
    ['read-write', false],
    ['primary', false],
    ['standby', true],
    ['prefer-standby', true],
    ['any', true],
  ])(
    'target_session_attrs=%s, the replica listed first: pg_is_in_recovery() is %s',
    async (attrs, standby) => {
      const pool = failoverPool(multiHostUrl([replica, primary], attrs));
      pools.push(pool);
      const { rows } = await pool.query('SELECT pg_is_in_recovery() AS standby');
      expect(rows).toEqual([{ standby }]);
      expect(pool.topology().primary).toEqual({
        host: '127.0.0.1',
        port: standby ? replica.port : primary.port,
      });
      expect(pool.config.hosts).toHaveLength(2);
    },
  );

  test('with no host matching, a caller gets NoMatchingServerError after acquireTimeout, and the search is bounded', async () => {
    const pool = failoverPool(multiHostUrl([replica], 'read-write'), { acquireTimeout: 500 });
    pools.push(pool);
    const startedAt = performance.now();
    const error = await pool.query('SELECT 1').catch((caught: unknown) => caught);
    const elapsed = performance.now() - startedAt;
    expect(error).toBeInstanceOf(NoMatchingServerError);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /read-write sessions .* among 127\.0\.0\.1:\d+ was found within 500 ms/,
    );
    expect((error as Error).message).not.toContain(new URL(replica.url).password);
    expect(pool.topology()).toMatchObject({ primary: undefined, resolving: true });
    expect(pool.stats().connectAttempts).toBeLessThanOrEqual(maxRoundsWithin(elapsed, backoff) + 1);
  });
});

describe('failover', () => {
  let cluster: ReplicaCluster;
  let primary: Server;
  let replica: Server;
  let pool: Pool;

  // A cluster per test: a failover uses it up.
  beforeEach(async () => {
    cluster = await startCluster(1);
    primary = cluster.primary;
    replica = cluster.replicas[0] as Server;
    pool = failoverPool(multiHostUrl([primary, replica]));
    await sql(primary.url, 'CREATE TABLE ledger (id int PRIMARY KEY)');
  });

  afterEach(async () => {
    await pool?.close();
    await cluster?.stop();
  });

  test('clean switchover: writes resume on the promoted replica and no acknowledged write is lost', async () => {
    await pool.ready();
    const writers = startWriters(pool, MAX);
    await writers.until(() => writers.acknowledged.length >= 50);

    const switched = nextEvent(pool, 'primary', (event) => event.port === replica.port);
    const lost = { at: performance.now(), attempts: pool.stats().connectAttempts };
    await primary.stop({ mode: 'fast' });
    writers.markOutage();
    await replica.promote();
    const [event] = await switched;
    expect(event.previous).toEqual({ host: '127.0.0.1', port: primary.port });
    await expectResumedOn(replica, pool, writers, lost);
  });

  test('crash: with the primary killed, the pool finds the promoted replica by itself; acknowledged writes survive', async () => {
    // Synchronous replication on the primary only: a commit is acknowledged once the replica
    // has it, so a SIGKILL of the primary loses none. (The replica must not wait for a
    // standby of its own once promoted.)
    await sql(primary.url, "ALTER SYSTEM SET synchronous_standby_names = '*'");
    await sql(primary.url, 'SELECT pg_reload_conf()');
    await eventually(
      () => sql<{ sync_state: string }>(primary.url, 'SELECT sync_state FROM pg_stat_replication'),
      (rows) => rows[0]?.sync_state === 'sync',
    );
    await pool.ready();
    const writers = startWriters(pool, MAX);
    await writers.until(() => writers.acknowledged.length >= 50);

    const lost = { at: performance.now(), attempts: pool.stats().connectAttempts };
    await primary.kill();
    writers.markOutage();
    // While no host accepts writes, callers wait up to acquireTimeout, then get a typed error.
    await eventually(
      async () => pool.topology().resolving,
      (resolving) => resolving,
    );
    expect(await pool.query('SELECT 1').catch((error: unknown) => error)).toBeInstanceOf(
      NoMatchingServerError,
    );
    await replica.promote();
    await expectResumedOn(replica, pool, writers, lost);
  });
});
