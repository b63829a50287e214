import {
  ConnectionError,
  ReadOnlyTransactionError,
  ReadWriteDuringRecoveryError,
  RecoveryConflictError,
} from '@strata/errors';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { runWithConnection } from './ambient-connection.js';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import type { PoolConfigInput } from './pool-config-input.js';
import {
  eventually,
  nextEvent,
  type ReplicaCluster,
  sql,
  startCluster,
} from './test-support/replica-cluster.js';

let cluster: ReplicaCluster;
let primaryUrl: string;
let replicaUrl: string;
const pools: Pool[] = [];
let nextId = 1;

// Where a read ran, and whether it saw row $1.
const WHERE =
  'SELECT pg_is_in_recovery() AS on_replica, (SELECT count(*)::int FROM items WHERE id = $1) AS found';
type Where = { on_replica: boolean; found: number };

beforeAll(async () => {
  cluster = await startCluster(1);
  primaryUrl = cluster.primary.url;
  replicaUrl = (cluster.replicas[0] as { url: string }).url;
  await sql(primaryUrl, 'CREATE TABLE items (id int PRIMARY KEY, note text)');
  await eventually(
    () => sql(replicaUrl, "SELECT to_regclass('items') AS items"),
    (rows) => rows[0]?.items !== null,
  );
});

afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

afterAll(() => cluster?.stop());

async function replicaPool(config: PoolConfigInput = {}): Promise<Pool> {
  const pool = createPool(
    {
      connectionString: primaryUrl,
      replicas: [replicaUrl],
      max: 4,
      min: 1,
      topologyCheckPeriod: 100,
      maxReplicaLag: 60_000,
      readYourWritesTimeout: 2_000,
      ...config,
    },
    { environment: {} },
  );
  pools.push(pool);
  await pool.ready();
  return pool;
}

const pauseReplay = () => sql(replicaUrl, 'SELECT pg_wal_replay_pause()');
const resumeReplay = () => sql(replicaUrl, 'SELECT pg_wal_replay_resume()');

describe('a pool pointed at a standby gets typed errors', () => {
  test('a write is a ReadOnlyTransactionError; a read-write transaction a ReadWriteDuringRecoveryError', async () => {
    const pool = createPool({ connectionString: replicaUrl, max: 2 }, { environment: {} });
    pools.push(pool);
    await pool.ready();
    const write = await pool.query('INSERT INTO items (id) VALUES (0)').catch((error: unknown) => error);
    expect(write).toBeInstanceOf(ReadOnlyTransactionError);
    expect(write).toMatchObject({ code: 'READ_ONLY_TRANSACTION', sqlState: '25006' });

    const client = await pool.connect();
    try {
      const begin = await client.query('BEGIN READ WRITE').catch((error: unknown) => error);
      expect(begin).toBeInstanceOf(ReadWriteDuringRecoveryError);
      expect(begin).toMatchObject({ code: 'READ_WRITE_DURING_RECOVERY', sqlState: '0A000' });
    } finally {
      client.release();
    }
  });

  test('a statement the standby cancels to replay a lock is a retryable RecoveryConflictError', async () => {
    await sql(replicaUrl, 'ALTER SYSTEM SET max_standby_streaming_delay = 0');
    await sql(replicaUrl, 'SELECT pg_reload_conf()');
    const pool = await replicaPool();
    const client = await pool.replica.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      await client.query('SELECT count(*) FROM items');
      const sleeping = client.query('SELECT pg_sleep(60)').catch((error: unknown) => error);
      // The ACCESS EXCLUSIVE lock is replayed on the standby, where the open transaction holds ACCESS SHARE.
      await sql(primaryUrl, 'BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; COMMIT');
      const error = await sleeping;
      expect(error).toBeInstanceOf(RecoveryConflictError);
      expect(error).toMatchObject({ code: 'RECOVERY_CONFLICT', retryable: true });
    } finally {
      client.release(true);
      await sql(replicaUrl, 'ALTER SYSTEM RESET max_standby_streaming_delay');
      await sql(replicaUrl, 'SELECT pg_reload_conf()');
    }
  });
});

describe('routing reads', () => {
  test('pool.replica reads on the replica; pool.query and reader("primary") on the primary', async () => {
    const pool = await replicaPool();
    const onReplica = 'SELECT pg_is_in_recovery() AS on_replica';
    expect((await pool.replica.query(onReplica)).rows).toEqual([{ on_replica: true }]);
    expect((await pool.reader('replica').query(onReplica)).rows).toEqual([{ on_replica: true }]);
    expect((await pool.query(onReplica)).rows).toEqual([{ on_replica: false }]);
    expect((await pool.reader('primary').query(onReplica)).rows).toEqual([{ on_replica: false }]);

    const client = await pool.reader('replica').connect();
    try {
      expect((await client.query(onReplica)).rows).toEqual([{ on_replica: true }]);
    } finally {
      client.release();
    }
    const viaKnex = await pool.replica.knex.raw(onReplica);
    expect(viaKnex.rows).toEqual([{ on_replica: true }]);

    expect(pool.topology()).toMatchObject({
      primary: { host: '127.0.0.1', port: cluster.primary.port },
      resolving: false,
      replicas: [{ host: '127.0.0.1', port: cluster.replicas[0]?.port, state: 'healthy', lagMs: 0 }],
    });
  });

  test('inside a transaction, routed reads run on its connection and see its writes', async () => {
    const pool = await replicaPool();
    const id = nextId++;
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const seen = await runWithConnection(pool, client, async () => {
        await pool.query('INSERT INTO items (id) VALUES ($1)', [id]);
        return (await pool.replica.query<Where>(WHERE, [id])).rows[0];
      });
      expect(seen).toEqual({ on_replica: false, found: 1 });
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  test('without replicas every read goes to the primary', async () => {
    const pool = createPool({ connectionString: primaryUrl, max: 2 }, { environment: {} });
    pools.push(pool);
    expect((await pool.replica.query('SELECT pg_is_in_recovery() AS on_replica')).rows).toEqual([
      { on_replica: false },
    ]);
    expect(pool.topology()).toMatchObject({ resolving: false, replicas: [], targetSessionAttrs: 'any' });
  });
});

describe('read-your-writes', () => {
  test('a session always reads its own write, also while the replica has not replayed it', async () => {
    const pool = await replicaPool();
    const id = nextId++;
    const session = pool.session();
    let position: string | undefined;
    await pauseReplay();
    try {
      await session.run(async () => {
        await pool.query('INSERT INTO items (id) VALUES ($1)', [id]);
        // The replica never replays it within readYourWritesTimeout: the read goes to the primary.
        expect((await pool.replica.query<Where>(WHERE, [id])).rows[0]).toEqual({
          on_replica: false,
          found: 1,
        });
      });
      position = await session.position();
      expect(position).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
      // Bounded lag only (the replica is within maxReplicaLag): the replica answers, without the row.
      expect((await pool.reader('replica').query<Where>(WHERE, [id])).rows[0]).toEqual({
        on_replica: true,
        found: 0,
      });
      // Outside any session, read-your-writes covers every write of the process.
      const other = nextId++;
      await pool.query('INSERT INTO items (id) VALUES ($1)', [other]);
      expect((await pool.reader('read-your-writes').query<Where>(WHERE, [other])).rows[0]).toEqual({
        on_replica: false,
        found: 1,
      });
    } finally {
      await resumeReplay();
    }
    // A later request of the same client carries the position: once replayed, the replica serves it.
    const next = pool.session({ position });
    const seen = await next.run(() => pool.replica.query<Where>(WHERE, [id]));
    expect(seen.rows[0]).toEqual({ on_replica: true, found: 1 });
    expect(await next.position()).toBe(position);
  });

  test('a session that only reads never asks the primary for its position', async () => {
    // No probe rounds after ready(): they ask the primary for its position too.
    const pool = await replicaPool({ topologyCheckPeriod: 600_000 });
    const session = pool.session({ consistency: 'read-your-writes' });
    const before = pool.stats().acquireCount;
    await session.run(() => pool.replica.query('SELECT 1'));
    expect(await session.position()).toBeUndefined();
    expect(pool.stats().acquireCount).toBe(before);
  });
});

describe('replica health', () => {
  // Waits on the state the pool reports, not on an event that may have fired already.
  const stateIs = (pool: Pool, state: string) =>
    eventually(
      async () => pool.topology().replicas[0],
      (status) => status?.state === state,
    );

  test('a replica further behind than maxReplicaLag gets no reads until it catches up', async () => {
    const pool = await replicaPool({ maxReplicaLag: 200 });
    const id = nextId++;
    await stateIs(pool, 'healthy');
    // Registered while healthy: the next change is the one this test causes.
    const lagging = nextEvent(pool, 'replica-state', (status) => status.state === 'lagging');
    await pauseReplay();
    try {
      await pool.query('INSERT INTO items (id) VALUES ($1)', [id]);
      const [status] = await lagging;
      expect(status).toMatchObject({ state: 'lagging', previous: 'healthy' });
      expect(status.lagMs).toBeGreaterThan(200);
      expect((await pool.replica.query<Where>(WHERE, [id])).rows[0]).toEqual({ on_replica: false, found: 1 });
      expect(pool.topology().replicas[0]?.state).toBe('lagging');
    } finally {
      await resumeReplay();
    }
    // Probed again, it takes reads once more (and has the row by then).
    const seen = await eventually(
      () => pool.replica.query<Where>(WHERE, [id]),
      (result) => result.rows[0]?.on_replica === true,
    );
    expect(seen.rows[0]).toEqual({ on_replica: true, found: 1 });
  });

  test('a replica that goes down is left out (its reads retried on the primary) and probed until it is back', async () => {
    const pool = await replicaPool();
    const replica = cluster.replicas[0] as ReplicaCluster['primary'];
    await stateIs(pool, 'healthy');
    await replica.stop({ mode: 'fast' });
    try {
      const read = await pool.replica.query('SELECT pg_is_in_recovery() AS on_replica');
      expect(read.rows).toEqual([{ on_replica: false }]);
      expect(pool.topology().replicas[0]).toMatchObject({ state: 'unreachable', error: expect.any(String) });
      expect(JSON.stringify(pool.topology())).not.toContain(new URL(replicaUrl).password);
    } finally {
      await replica.start();
    }
    await stateIs(pool, 'healthy');
    const seen = await eventually(
      () => pool.replica.query('SELECT pg_is_in_recovery() AS on_replica'),
      (result) => result.rows[0]?.on_replica === true,
    );
    expect(seen.rows).toEqual([{ on_replica: true }]);
  });

  test('a lost replica connection inside a replica transaction is a ConnectionError', async () => {
    const pool = await replicaPool();
    const client = await pool.replica.connect();
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    await sql(replicaUrl, 'SELECT pg_terminate_backend($1)', [pid]);
    const error = await client.query('SELECT 1').catch((caught: unknown) => caught);
    client.release();
    expect(error).toBeInstanceOf(ConnectionError);
  });
});
