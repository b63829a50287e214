import { ConnectionError, DatabaseError } from '@strata/errors';
import { afterEach, describe, expect, test } from 'vitest';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import { TcpProxy } from './test-support/tcp-proxy.js';
import { serverUrl, uniqueName } from './test-support/test-database.js';

const pools: Pool[] = [];
function pool(config: Parameters<typeof createPool>[0]): Pool {
  const created = createPool(config, { environment: {} });
  pools.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 1_000 })));
});

const server = new URL(serverUrl());
const target = { host: server.hostname, port: Number(server.port) };
const password = decodeURIComponent(server.password);

function urlThrough(port: number): string {
  const url = new URL(serverUrl());
  url.port = String(port);
  return url.toString();
}

describe('ready()', () => {
  test('opens min connections and keeps them open', async () => {
    const p = pool({ connectionString: serverUrl(), min: 3, max: 5 });
    await p.ready();
    expect(p.stats()).toMatchObject({ total: 3, idle: 3, active: 0, created: 3 });
  });

  test('retries with backoff while the server is not up yet, then succeeds', async () => {
    const proxy = await TcpProxy.reserve(target);
    try {
      const p = pool({ connectionString: urlThrough(proxy.port), min: 2, readyTimeout: 20_000 });
      const failures: unknown[] = [];
      const firstFailure = new Promise<void>((resolve) =>
        p.on('connection-error', ({ error }) => {
          failures.push(error);
          resolve();
        }),
      );
      const ready = p.ready();
      await firstFailure; // the server was unreachable at least once
      await proxy.start();
      await ready;
      expect(failures[0]).toBeInstanceOf(ConnectionError);
      expect(p.stats().total).toBe(2);
      expect((await p.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await proxy.stop();
    }
  });

  test('gives up after readyTimeout with a ConnectionError naming the target, without the password', async () => {
    const proxy = await TcpProxy.reserve(target); // reserved, never listening
    const p = pool({ connectionString: urlThrough(proxy.port), readyTimeout: 300 });
    const error = await p.ready().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain(`127.0.0.1:${proxy.port}`);
    expect((error as Error).message).toMatch(/could not open 5 connection/);
    expect((error as Error).message).not.toContain(password);
  });

  test('does not retry a login the server rejects, and never shows the password', async () => {
    const url = new URL(serverUrl());
    url.password = 'not-the-password-123';
    const p = pool({ connectionString: url.toString(), readyTimeout: 60_000 });
    const error = await p.ready().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).sqlState).toBe('28P01');
    expect((error as Error).message).not.toContain('not-the-password-123');
    expect(JSON.stringify(p.config)).not.toContain('not-the-password-123');
  });
});

describe('pool.config', () => {
  test('shows the resolved target and settings with the password redacted', () => {
    const p = pool({ connectionString: serverUrl(), max: 7 });
    expect(p.config).toMatchObject({ host: target.host, port: target.port, max: 7, min: 5, ssl: false });
    expect(p.config.connectionString).toContain(':***@');
    expect(JSON.stringify(p.config)).not.toContain(password);
    expect(Object.isFrozen(p.config)).toBe(true);
  });
});

describe('session settings', () => {
  test('are sent as startup parameters, not SET', async () => {
    const applicationName = uniqueName('settings');
    const p = pool({
      connectionString: serverUrl(),
      applicationName,
      statementTimeout: 4_000,
      lockTimeout: 3_000,
      idleInTransactionSessionTimeout: 5_000,
    });
    const { rows } = await p.query<{ name: string; setting: string; source: string }>(
      `SELECT name, setting, source FROM pg_settings
        WHERE name IN ('application_name', 'statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout')
        ORDER BY name`,
    );
    expect(rows).toEqual([
      { name: 'application_name', setting: applicationName, source: 'client' },
      { name: 'idle_in_transaction_session_timeout', setting: '5000', source: 'client' },
      { name: 'lock_timeout', setting: '3000', source: 'client' },
      { name: 'statement_timeout', setting: '4000', source: 'client' },
    ]);
  });

  test('a 0 timeout still overrides the server default', async () => {
    const p = pool({ connectionString: serverUrl(), statementTimeout: 0 });
    const { rows } = await p.query<{ setting: string; source: string }>(
      "SELECT setting, source FROM pg_settings WHERE name = 'statement_timeout'",
    );
    expect(rows).toEqual([{ setting: '0', source: 'client' }]);
  });
});

describe('prepared statements', () => {
  const preparedOnThisConnection = async (p: Pool) =>
    (await p.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.map(
      (row) => row.statement,
    );

  test('parameterised queries run as named statements, prepared once per connection', async () => {
    const p = pool({ connectionString: serverUrl(), max: 1, min: 1 });
    const text = 'SELECT $1::int + 1 AS n';
    expect((await p.query<{ n: number }>(text, [1])).rows).toEqual([{ n: 2 }]);
    expect((await p.query<{ n: number }>(text, [41])).rows).toEqual([{ n: 42 }]);
    expect(await preparedOnThisConnection(p)).toEqual([text]);
  });

  test('preparedStatements: false runs them unnamed (for PgBouncer in transaction mode)', async () => {
    const p = pool({ connectionString: serverUrl(), max: 1, min: 1, preparedStatements: false });
    expect((await p.query<{ n: number }>('SELECT $1::int + 1 AS n', [1])).rows).toEqual([{ n: 2 }]);
    expect(await preparedOnThisConnection(p)).toEqual([]);
  });

  test('a query without values uses the simple protocol and may hold several statements', async () => {
    const p = pool({ connectionString: serverUrl(), max: 1 });
    await expect(p.query('SELECT 1; SELECT 2')).resolves.toBeDefined();
  });

  test('a statement made stale by DDL is prepared again instead of failing', async () => {
    const p = pool({ connectionString: serverUrl(), max: 1 });
    const table = uniqueName('stale');
    await p.query(`CREATE TABLE ${table} (id int)`);
    await p.query(`INSERT INTO ${table} VALUES (1)`);
    const text = `SELECT * FROM ${table} WHERE id = $1`;
    expect((await p.query(text, [1])).rows).toEqual([{ id: 1 }]);
    await p.query(`ALTER TABLE ${table} ADD COLUMN name text DEFAULT 'x'`);
    expect((await p.query(text, [1])).rows).toEqual([{ id: 1, name: 'x' }]);
    await p.query(`DROP TABLE ${table}`);
  });
});
