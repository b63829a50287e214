import {
  InvalidConfigError,
  ReadOnlyTransactionError,
  ReadWriteDuringRecoveryError,
  RecoveryConflictError,
} from '@strata/errors';
import {
  startTestCluster,
  type TestCluster,
  withAdminConnection,
} from '@strata/local-postgres/test-database';
import { createPool, type Pool } from '@strata/pool';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RetryInfo } from './transaction-options.js';
import { withTransaction } from './with-transaction.js';

let cluster: TestCluster;
let primaryUrl: string;
let replicaUrl: string;
let pool: Pool;
const pools: Pool[] = [];

const sql = <Row = Record<string, unknown>>(url: string, text: string) =>
  withAdminConnection(async (client) => (await client.query(text)).rows as Row[], url);

function poolOf(connectionString: string, replicas: string[] = []): Pool {
  const created = createPool(
    { connectionString, replicas, max: 4, topologyCheckPeriod: 100, maxReplicaLag: 60_000 },
    { environment: {} },
  );
  pools.push(created);
  return created;
}

beforeAll(async () => {
  cluster = await startTestCluster(1);
  primaryUrl = cluster.connectionString;
  replicaUrl = (cluster.replicas[0] as { url: string }).url;
  await sql(primaryUrl, 'CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)');
  for (;;) {
    const [row] = await sql<{ notes: string | null }>(
      replicaUrl,
      "SELECT to_regclass('notes')::text AS notes",
    );
    if (row?.notes) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  pool = poolOf(primaryUrl, [replicaUrl]);
  await pool.ready();
});

afterAll(async () => {
  await Promise.all(pools.map((each) => each.close()));
  await cluster?.stop();
});

const ON_REPLICA = 'SELECT pg_is_in_recovery() AS on_replica';

describe("withTransaction(pool, fn, { readOnly: true, on: 'replica' })", () => {
  test('runs on a replica; pool.query and pool.knex inside it join the transaction', async () => {
    const seen = await withTransaction(
      pool,
      async (tx) => ({
        tx: (await tx.query(ON_REPLICA)).rows[0],
        pool: (await pool.query(ON_REPLICA)).rows[0],
        knex: (await pool.knex.raw(ON_REPLICA)).rows[0],
        readOnly: (await tx.query('SHOW transaction_read_only')).rows[0],
      }),
      { readOnly: true, on: 'replica' },
    );
    expect(seen).toEqual({
      tx: { on_replica: true },
      pool: { on_replica: true },
      knex: { on_replica: true },
      readOnly: { transaction_read_only: 'on' },
    });
  });

  test('read-write transactions run on the primary; on a replica only read-only ones may', async () => {
    expect(await withTransaction(pool, async (tx) => (await tx.query(ON_REPLICA)).rows[0])).toEqual({
      on_replica: false,
    });
    const refused = await withTransaction(pool, async () => 1, { on: 'replica' }).catch(
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(InvalidConfigError);
    expect((refused as InvalidConfigError).issues).toEqual([
      { path: 'on', message: expect.stringMatching(/requires readOnly: true/) },
    ]);
    const nested = await withTransaction(pool, () =>
      withTransaction(pool, async () => 1, { readOnly: true, on: 'replica' }),
    ).catch((error: unknown) => error);
    expect(nested).toBeInstanceOf(InvalidConfigError);
  });

  test('a recovery conflict on the replica is retried like a serialization failure', async () => {
    await sql(replicaUrl, 'ALTER SYSTEM SET max_standby_streaming_delay = 0');
    await sql(replicaUrl, 'SELECT pg_reload_conf()');
    const retries: RetryInfo[] = [];
    try {
      const result = await withTransaction(
        pool,
        async (tx) => {
          await tx.query('SELECT count(*) FROM notes');
          if (tx.attempt === 1) {
            const sleeping = tx.query('SELECT pg_sleep(60)');
            // Replay may cancel it before the LOCK below returns: handled now, awaited below.
            sleeping.catch(() => {});
            // Replaying this lock needs the ACCESS SHARE lock the transaction holds on the replica.
            await sql(primaryUrl, 'BEGIN; LOCK TABLE notes IN ACCESS EXCLUSIVE MODE; COMMIT');
            await sleeping;
          }
          return (await tx.query(ON_REPLICA)).rows[0];
        },
        { readOnly: true, on: 'replica', onRetry: (info) => void retries.push(info) },
      );
      expect(result).toEqual({ on_replica: true });
      expect(retries).toHaveLength(1);
      expect(retries[0]?.error).toBeInstanceOf(RecoveryConflictError);
    } finally {
      await sql(replicaUrl, 'ALTER SYSTEM RESET max_standby_streaming_delay');
      await sql(replicaUrl, 'SELECT pg_reload_conf()');
    }
  });

  test('the network guard lets connections to the replicas through', async () => {
    const held = await pool.reader('replica').connect();
    try {
      // Inside a primary transaction, a second replica connection means a new socket.
      const onReplica = await withTransaction(
        pool,
        async () => {
          const client = await pool.reader('replica').connect();
          try {
            return (await client.query(ON_REPLICA)).rows[0];
          } finally {
            client.release();
          }
        },
        { networkGuard: 'throw' },
      );
      expect(onReplica).toEqual({ on_replica: true });
    } finally {
      held.release();
    }
  });
});

describe('a pool pointed at a standby', () => {
  test('a read-write transaction is a ReadWriteDuringRecoveryError; a write a ReadOnlyTransactionError', async () => {
    const standby = poolOf(replicaUrl);
    const readWrite = await withTransaction(standby, async () => 1, { readOnly: false }).catch(
      (error: unknown) => error,
    );
    expect(readWrite).toBeInstanceOf(ReadWriteDuringRecoveryError);
    const write = await withTransaction(standby, (tx) =>
      tx.query("INSERT INTO notes (body) VALUES ('x')"),
    ).catch((error: unknown) => error);
    expect(write).toBeInstanceOf(ReadOnlyTransactionError);
  });
});
