import {
  ConnectionRejectedError,
  SessionFeatureUnsupportedError,
  StatementTimeoutError,
} from '@strata/errors';
import { type LocalPgBouncer, startPgBouncer } from '@strata/local-postgres';
import {
  createTestDatabase,
  databaseUrl,
  startTestPgBouncer,
  type TestDatabase,
} from '@strata/local-postgres/test-database';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createPool } from './create-pool.js';
import type { PgBouncerFinding, Pool } from './pool.js';
import type { PoolConfigInput } from './pool-config-input.js';
import { serverUrl } from './test-support/test-database.js';

// Real PgBouncers (Debian's 1.18 here) in front of the test server. Skipped without PgBouncer,
// except under CI=true, where startTestPgBouncer throws instead.
const transaction = await startTestPgBouncer({ poolMode: 'transaction', settings: { default_pool_size: 4 } });
const session = await startTestPgBouncer({ poolMode: 'session' });
const skip = transaction === undefined || session === undefined;

let database: TestDatabase;
const through = (bouncer: LocalPgBouncer | undefined) =>
  databaseUrl((bouncer as LocalPgBouncer).url, database.name);

beforeAll(async () => {
  if (skip) return;
  database = await createTestDatabase({ prefix: 'pgbouncer' });
  const direct = createPool({ connectionString: database.url, max: 1 }, { environment: {} });
  await direct.query(
    "CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL); INSERT INTO accounts SELECT g, 'account ' || g FROM generate_series(1, 100) AS g",
  );
  await direct.close();
});
afterAll(async () => {
  await Promise.all([transaction?.stop(), session?.stop()]);
  await database?.drop();
});

const pools: Pool[] = [];
function pool(config: PoolConfigInput): Pool {
  const created = createPool(config, { environment: {} });
  created.on('pgbouncer', () => {}); // keeps the detection line out of the test output
  pools.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2_000 })));
});

function findingOf(p: Pool): Promise<PgBouncerFinding> {
  return new Promise((resolve) => p.once('pgbouncer', resolve));
}

/** Runs `operation` from `callers` concurrent callers, `each` times each; returns every error. */
async function concurrently(callers: number, each: number, operation: (i: number) => Promise<unknown>) {
  const errors: unknown[] = [];
  await Promise.all(
    Array.from({ length: callers }, async (_, caller) => {
      for (let i = 0; i < each; i++) {
        await operation(caller * each + i).catch((error: unknown) => errors.push(error));
      }
    }),
  );
  return errors;
}

const POINT_SELECTS = [
  'SELECT id, name FROM accounts WHERE id = $1',
  'SELECT name FROM accounts WHERE id = $1',
  'SELECT id FROM accounts WHERE id = $1 AND name IS NOT NULL',
];
const pointSelect = (p: Pool, i: number) =>
  p.query(POINT_SELECTS[i % POINT_SELECTS.length] as string, [(i % 100) + 1]);
// Every fourth one through Knex.
const rawOrKnexPointSelect = (p: Pool, i: number) =>
  i % 4 === 0
    ? p
        .knex('accounts')
        .where({ id: (i % 100) + 1 })
        .first()
    : pointSelect(p, i);

describe.skipIf(skip)('behind PgBouncer in transaction mode', () => {
  test('is detected on the first connection and said in one line: statements run unnamed', async () => {
    const p = pool({ connectionString: through(transaction), max: 4 });
    const finding = findingOf(p);
    expect(p.pgbouncer).toBeUndefined();
    await p.ready();
    expect(p.pgbouncer).toBe('transaction');
    expect(await finding).toMatchObject({ mode: 'transaction', detected: true });
    expect((await finding).message).toMatch(/PgBouncer in transaction pooling mode .* detected .* unnamed/);
  });

  test('with default settings, concurrent point selects and Knex queries have no errors', async () => {
    const p = pool({ connectionString: through(transaction), max: 16 });
    const errors = await concurrently(16, 40, (i) => rawOrKnexPointSelect(p, i));
    expect(errors).toEqual([]);
    expect(p.stats()).toMatchObject({ errors: 0, preparedStatementConflicts: 0 });
  });

  test('a 42P05/26000 from PgBouncer is recovered as an unnamed statement, reported, and naming stops', async () => {
    // preparedStatements: true says "PgBouncer ≥ 1.21 with max_prepared_statements": not so
    // here, so the names of different clients meet on the one server connection.
    const bouncer = await startPgBouncer({
      upstream: serverUrl(),
      poolMode: 'transaction',
      settings: { default_pool_size: 1 },
      providers: ['binary'],
      log: false,
    });
    try {
      const p = pool({
        connectionString: databaseUrl(bouncer.url, database.name),
        max: 6,
        preparedStatements: true,
      });
      const conflicts: string[] = [];
      p.on('prepared-statement-conflict', ({ sqlState }) => conflicts.push(sqlState));
      // Two clients of the pool, one server connection behind PgBouncer: the second client's
      // Parse of the same named statement meets the first's (42P05), whatever the timing.
      const [first, second] = [await p.connect(), await p.connect()];
      try {
        const sql = POINT_SELECTS[0] as string;
        expect((await first.query(sql, [1])).rows).toHaveLength(1);
        expect((await second.query(sql, [1])).rows).toHaveLength(1);
      } finally {
        first.release();
        second.release();
      }
      // Knex statements are named by the same decision, and recovered the same way.
      const errors = await concurrently(6, 20, (i) => rawOrKnexPointSelect(p, i));
      expect(errors).toEqual([]);
      expect(conflicts.length).toBeGreaterThan(0);
      expect(conflicts.every((code) => code === '42P05' || code === '26000')).toBe(true);
      expect(p.stats().preparedStatementConflicts).toBe(conflicts.length);
    } finally {
      await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 2_000 })));
      await bouncer.stop();
    }
  });

  describe('session settings hold per transaction', () => {
    const timed = () => pool({ connectionString: through(transaction), max: 4, statementTimeout: 1_000 });

    test('ready() succeeds at once although PgBouncer refuses them as startup parameters', async () => {
      const p = timed();
      const failures: unknown[] = [];
      p.on('connection-error', ({ error }) => failures.push(error));
      await p.ready();
      expect(failures).toEqual([]);
      expect(p.pgbouncer).toBe('transaction');
    });

    test('a 1 s statementTimeout stops pg_sleep(2): raw, with values, in a transaction, through Knex', async () => {
      const p = timed();
      await expect(p.query('SELECT pg_sleep(2)')).rejects.toBeInstanceOf(StatementTimeoutError);
      await expect(p.query('SELECT pg_sleep($1)', [2])).rejects.toBeInstanceOf(StatementTimeoutError);
      await expect(p.knex.raw('select pg_sleep(?)', [2])).rejects.toBeInstanceOf(StatementTimeoutError);
      await expect(p.knex.transaction((trx) => trx.raw('select pg_sleep(2)'))).rejects.toBeInstanceOf(
        StatementTimeoutError,
      );
      const client = await p.connect();
      try {
        await client.query('BEGIN');
        await expect(client.query('SELECT pg_sleep(2)')).rejects.toBeInstanceOf(StatementTimeoutError);
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
    });

    test('results keep their shape, and the server sessions are left as they were', async () => {
      const p = timed();
      expect((await p.query<{ n: number }>('SELECT 1 AS n')).rows).toEqual([{ n: 1 }]);
      expect((await p.query<{ n: number }>('SELECT $1::int AS n', [2])).rows).toEqual([{ n: 2 }]);
      const inTransaction = await p.knex.transaction((trx) => trx.raw('show statement_timeout'));
      expect(inTransaction.rows).toEqual([{ statement_timeout: '1s' }]);
      // SHOW is not wrapped: it shows the server connection's own setting, untouched.
      expect((await p.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '0' }]);
    });
  });

  test('session SET, RESET, LISTEN and session advisory locks are refused with a typed error', async () => {
    const p = pool({ connectionString: through(transaction), max: 2 });
    for (const sql of [
      'SET search_path TO public',
      'RESET search_path',
      'LISTEN jobs',
      'SELECT pg_advisory_lock(1)',
    ]) {
      await expect(p.query(sql)).rejects.toBeInstanceOf(SessionFeatureUnsupportedError);
    }
    await expect(p.knex.raw('select pg_try_advisory_lock(?)', [1])).rejects.toMatchObject({
      code: 'SESSION_FEATURE_UNSUPPORTED',
      feature: 'session advisory lock',
    });
    // Transaction-scoped equivalents are fine.
    const client = await p.connect();
    try {
      await client.query('BEGIN');
      await client.query("SET LOCAL search_path TO 'public'");
      await client.query('SELECT pg_advisory_xact_lock(1)');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  });

  test("pgbouncer: 'transaction' skips detection", async () => {
    const p = pool({
      connectionString: through(transaction),
      pgbouncer: 'transaction',
      statementTimeout: 1_000,
    });
    expect(p.pgbouncer).toBe('transaction');
    const finding = findingOf(p);
    await expect(p.query('SELECT pg_sleep($1)', [2])).rejects.toBeInstanceOf(StatementTimeoutError);
    expect(await finding).toMatchObject({ mode: 'transaction', detected: false });
  });
});

describe.skipIf(skip)('with several hosts, behind PgBouncer', () => {
  test('the host the failover search picks is opened the PgBouncer way; a host that is down does not stop detection', async () => {
    const bouncer = new URL(through(transaction));
    const p = pool({
      connectionString: through(transaction),
      // Nothing listens on port 1: its probe fails while the PgBouncer's detects.
      hosts: ['127.0.0.1:1', `${bouncer.hostname}:${bouncer.port}`],
      statementTimeout: 1_000,
    });
    const found = findingOf(p);
    await p.ready();
    expect((await found).mode).toBe('transaction');
    expect(p.pgbouncer).toBe('transaction');
    expect(p.topology().primary).toEqual({ host: bouncer.hostname, port: Number(bouncer.port) });
    // The session settings PgBouncer refused at startup apply per statement.
    await expect(p.query('SELECT pg_sleep(2)')).rejects.toBeInstanceOf(StatementTimeoutError);
  });
});

describe.skipIf(skip)('permanent connection errors fail ready() at once', () => {
  async function readyError(config: PoolConfigInput) {
    const p = pool({ min: 1, readyTimeout: 60_000, ...config });
    const attempts: unknown[] = [];
    p.on('connection-error', ({ error }) => attempts.push(error));
    const error = await p.ready().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    return { error: error as ConnectionRejectedError, attempts: attempts.length };
  }

  test('an unsupported startup parameter, when the pool was told there is no PgBouncer', async () => {
    const { error, attempts } = await readyError({
      connectionString: through(transaction),
      pgbouncer: false,
      statementTimeout: 1_000,
    });
    expect(error).toBeInstanceOf(ConnectionRejectedError);
    expect(error).toMatchObject({ reason: 'unsupported-startup-parameter', parameter: 'statement_timeout' });
    expect(error.message).toContain('ALTER ROLE');
    expect(attempts).toBe(1); // no retry loop
  });

  test.each([
    ['a bad password, through PgBouncer', 'bouncer', 'password', 'authentication-failed'],
    ['a bad password, directly', 'server', 'password', 'authentication-failed'],
    ['an unknown database, through PgBouncer', 'bouncer', 'database', 'unknown-database'],
    ['an unknown database, directly', 'server', 'database', 'unknown-database'],
  ])('%s', async (_, where, wrong, reason) => {
    const url = new URL(where === 'bouncer' ? through(transaction) : databaseUrl(serverUrl(), database.name));
    if (wrong === 'password') url.password = 'not-the-password-123';
    else url.pathname = '/no_such_database_here';
    const { error, attempts } = await readyError({ connectionString: url.toString() });
    expect(error).toBeInstanceOf(ConnectionRejectedError);
    expect(error.reason).toBe(reason);
    expect(error.message).not.toContain('not-the-password-123');
    expect(attempts).toBe(1);
  });
});

describe.skipIf(skip)('behind PgBouncer in session mode', () => {
  test('is detected; statements stay named and session settings are applied with SET', async () => {
    const p = pool({ connectionString: through(session), max: 4, statementTimeout: 1_000 });
    const finding = findingOf(p);
    await p.ready();
    expect(p.pgbouncer).toBe('session');
    expect((await finding).message).toMatch(/session pooling mode .* detected .* SET after connecting/);
    await expect(p.query('SELECT pg_sleep($1)', [2])).rejects.toBeInstanceOf(StatementTimeoutError);
    const client = await p.connect();
    try {
      await client.query('SELECT id FROM accounts WHERE id = $1', [1]);
      const prepared = await client.query('SELECT statement FROM pg_prepared_statements');
      expect(prepared.rows).toContainEqual({ statement: 'SELECT id FROM accounts WHERE id = $1' });
    } finally {
      client.release();
    }
  });

  test('concurrent point selects have no errors', async () => {
    const p = pool({ connectionString: through(session), max: 8 });
    expect(await concurrently(8, 40, (i) => pointSelect(p, i))).toEqual([]);
  });
});

describe('directly', () => {
  test('no PgBouncer is found, and nothing changes', async () => {
    const p = pool({ connectionString: serverUrl(), max: 1 });
    const finding = findingOf(p);
    await p.ready();
    expect(p.pgbouncer).toBe(false);
    expect(await finding).toMatchObject({ mode: false, detected: true });
  });
});
