import { existsSync } from 'node:fs';
import { InvalidConfigError } from '@strata/errors';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { findPgBouncerBinary } from './find-pgbouncer-binary.js';
import {
  type LocalPgBouncer,
  type LocalPostgres,
  PgBouncerUnavailableError,
  startPgBouncer,
  startPostgres,
} from './index.js';
import { withClient } from './with-client.js';

const rows = <T>(url: string, sql: string) =>
  withClient(url, async (client) => (await client.query<T>(sql)).rows);

// Without PgBouncer a developer's run skips these; CI (CI=true) installs it and must run them.
const installed = Boolean((await findPgBouncerBinary()).binary || process.env.STRATA_TEST_PGBOUNCER_URL);
const skip = !installed && process.env.CI !== 'true';

let upstream: LocalPostgres;
const started: LocalPgBouncer[] = [];
const start = async (options: Omit<Parameters<typeof startPgBouncer>[0], 'upstream'>) => {
  const bouncer = await startPgBouncer({
    upstream: upstream.connectionString,
    providers: ['binary'],
    log: false,
    ...options,
  });
  started.push(bouncer);
  return bouncer;
};
beforeAll(async () => {
  if (!skip) upstream = await startPostgres({ providers: ['embedded'], log: false });
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((bouncer) => bouncer.stop()));
});
afterAll(() => upstream?.stop());

describe.skipIf(skip)('startPgBouncer', () => {
  test('in transaction mode it forwards queries, and SHOW POOLS works on its admin console', async () => {
    const bouncer = await start({ poolMode: 'transaction' });
    expect(bouncer.provider).toBe('binary');
    expect(bouncer.version).toMatch(/^\d+\.\d+(\.\d+)?$/);
    expect(bouncer.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);
    expect(new URL(bouncer.url).port).not.toBe(new URL(upstream.connectionString).port);

    expect(await rows(bouncer.url, 'select 40 + 2 as answer')).toEqual([{ answer: 42 }]);
    const pools = await rows<{ database: string; pool_mode: string }>(bouncer.adminUrl, 'SHOW POOLS');
    expect(pools).toContainEqual(expect.objectContaining({ database: 'postgres', pool_mode: 'transaction' }));
  });

  test('in transaction mode, open clients share one server connection between transactions', async () => {
    const bouncer = await start({ poolMode: 'transaction', settings: { default_pool_size: 1 } });
    const backendPid = async (client: { query<T>(sql: string): Promise<{ rows: T[] }> }) =>
      (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    const pids = await withClient(bouncer.url, (first) =>
      withClient(bouncer.url, async (second) => [await backendPid(first), await backendPid(second)]),
    );
    expect(pids[0]).toBeTypeOf('number');
    expect(pids[1]).toBe(pids[0]);
  });

  test('in session mode a client keeps one server connection', async () => {
    const bouncer = await start({ poolMode: 'session' });
    const pids = await withClient(bouncer.url, async (client) => {
      const first = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      const second = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      return [first.rows[0]?.pid, second.rows[0]?.pid];
    });
    expect(pids[0]).toBe(pids[1]);
    const config = await rows<{ key: string; value: string }>(bouncer.adminUrl, 'SHOW CONFIG');
    expect(config).toContainEqual(expect.objectContaining({ key: 'pool_mode', value: 'session' }));
  });

  test('a role created on the upstream logs in through it (looked up with auth_query)', async () => {
    const bouncer = await start({ poolMode: 'transaction' });
    const role = `app_${process.pid}`;
    await withClient(upstream.connectionString, async (client) => {
      const { rows: ddl } = await client.query<{ sql: string }>(
        "select format('create role %I login password %L', $1::text, 'app-secret') as sql",
        [role],
      );
      await client.query(ddl[0]?.sql as string);
    });
    const asApp = new URL(bouncer.url);
    asApp.username = role;
    asApp.password = 'app-secret';
    expect(await rows(asApp.toString(), 'select current_user as who')).toEqual([{ who: role }]);
  });

  test('killed, it refuses connections; restart() brings it back on the same URL', async () => {
    const bouncer = await start({ poolMode: 'transaction' });
    const first = bouncer.pid();
    await bouncer.kill();
    expect(bouncer.pid()).toBeUndefined();
    await expect(rows(bouncer.url, 'select 1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await bouncer.restart();
    expect(bouncer.pid()).not.toBe(first);
    expect(await rows(bouncer.url, 'select 1 as one')).toEqual([{ one: 1 }]);
  });

  test('stop() ends the process and removes its files', async () => {
    const bouncer = await start({ poolMode: 'transaction' });
    const pid = bouncer.pid() as number;
    await bouncer.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(bouncer.logFile as string)).toBe(false);
    await expect(rows(bouncer.url, 'select 1')).rejects.toThrow();
  });

  test('a PgBouncer URL from the environment is used as it is, and its pool mode is checked', async () => {
    const local = await start({ poolMode: 'transaction' });
    const saved = process.env.STRATA_TEST_PGBOUNCER_URL;
    process.env.STRATA_TEST_PGBOUNCER_URL = local.url;
    try {
      const found = await startPgBouncer({
        upstream: upstream.connectionString,
        poolMode: 'transaction',
        log: false,
      });
      expect(found).toMatchObject({ provider: 'url', url: local.url, version: local.version });
      await expect(found.kill()).rejects.toMatchObject({ code: 'PGBOUNCER_NOT_OWNED' });
      await expect(
        startPgBouncer({ upstream: upstream.connectionString, poolMode: 'session', log: false }),
      ).rejects.toMatchObject({ code: 'PGBOUNCER_POOL_MODE_MISMATCH' });
    } finally {
      if (saved === undefined) delete process.env.STRATA_TEST_PGBOUNCER_URL;
      else process.env.STRATA_TEST_PGBOUNCER_URL = saved;
    }
  });
});

describe('startPgBouncer without PgBouncer', () => {
  test('throws one PgBouncerUnavailableError saying what was tried and how to install it', async () => {
    const failure = await startPgBouncer({
      upstream: 'postgres://postgres:secret@127.0.0.1:5432/postgres',
      providers: ['url', 'binary'],
      urlEnvironmentVariables: ['STRATA_TEST_NO_SUCH_VARIABLE'],
      binary: '/nonexistent/pgbouncer',
      log: false,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PgBouncerUnavailableError);
    const error = failure as PgBouncerUnavailableError;
    expect(error.code).toBe('PGBOUNCER_UNAVAILABLE');
    expect(error.attempts.map((attempt) => attempt.provider)).toEqual(['url', 'binary']);
    expect(error.message).toContain('/nonexistent/pgbouncer');
    expect(error.message).toContain('apt-get install pgbouncer');
    expect(error.message).toContain('brew install pgbouncer');
    expect(error.message).not.toContain('secret');
  });

  test('invalid options name every bad field, and settings it owns are refused', async () => {
    await expect(
      startPgBouncer({ upstream: 'not a url', poolMode: 'eventually' } as unknown as Parameters<
        typeof startPgBouncer
      >[0]),
    ).rejects.toSatisfy((error: unknown) => {
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect((error as Error).message).toContain('upstream');
      expect((error as Error).message).toContain('poolMode');
      return true;
    });
    await expect(
      startPgBouncer({ upstream: 'postgres://u@h/db', settings: { listen_port: 1 } }),
    ).rejects.toThrow(/settings\.listen_port/);
  });
});
