import { InvalidConfigError } from '@strata/errors';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type LocalPostgres,
  type LocalPostgresServer,
  NoPostgresAvailableError,
  type ServerExit,
  startPostgres,
} from './index.js';
import { waitUntil } from './wait-until.js';
import { withClient } from './with-client.js';

const rows = <T>(url: string, sql: string, values: unknown[] = []) =>
  withClient(url, async (client) => (await client.query<T>(sql, values)).rows);

const failureCode = (promise: Promise<unknown>) =>
  promise.then(
    () => 'succeeded',
    (error: { code?: string }) => error.code,
  );

/** Polls until `read` answers what `accept` wants (a replica applies WAL a moment later). */
async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  await waitUntil(
    async () => {
      last = await read();
      return accept(last);
    },
    {
      timeoutMs: 20_000,
      intervalMs: 50,
      timeoutError: () => new Error(`never got there; last: ${JSON.stringify(last)}`),
    },
  );
  return last as T;
}

const idsOn = (server: { url: string }) =>
  rows<{ id: number }>(server.url, 'select id from kept order by id').then((found) =>
    found.map((row) => row.id),
  );

const streamingReplicas = (primary: LocalPostgresServer) =>
  rows<{ application_name: string }>(
    primary.url,
    "select application_name from pg_stat_replication where state = 'streaming' order by 1",
  ).then((found) => found.map((row) => row.application_name));

// One primary and two replicas for the whole file: making them is the slow part.
let cluster: LocalPostgres;
let primary: LocalPostgresServer;
beforeAll(async () => {
  cluster = await startPostgres({
    providers: ['embedded'],
    replicas: 2,
    // fastUnsafe turns synchronous_commit off, which may lose the last commits in a crash.
    settings: { synchronous_commit: 'on' },
    log: false,
  });
  primary = cluster.primary as LocalPostgresServer;
  await rows(cluster.connectionString, 'create table kept (id int primary key)');
});
afterAll(() => cluster?.stop());

describe('startPostgres({ replicas })', () => {
  test('returns once every replica streams from the primary, each on its own URL', async () => {
    expect(cluster.replicas.map((replica) => replica.name)).toEqual(['replica-1', 'replica-2']);
    expect(primary.url).toBe(cluster.connectionString);
    const ports = new Set([primary.port, ...cluster.replicas.map((replica) => replica.port)]);
    expect(ports.size).toBe(3);
    expect(await streamingReplicas(primary)).toEqual(['strata_replica_1', 'strata_replica_2']);
    for (const replica of cluster.replicas) {
      expect(await rows(replica.url, 'select pg_is_in_recovery() as recovering')).toEqual([
        { recovering: true },
      ]);
    }
  });

  test('a row committed on the primary becomes visible on every replica', async () => {
    await rows(primary.url, 'insert into kept values (1)');
    for (const replica of cluster.replicas) {
      expect(
        await eventually(
          () => idsOn(replica),
          (ids) => ids.includes(1),
        ),
      ).toContain(1);
    }
  });

  test('a replica refuses writes with SQLSTATE 25006 (read-only transaction)', async () => {
    const replica = cluster.replicas[0] as LocalPostgresServer;
    expect(await failureCode(rows(replica.url, 'insert into kept values (2)'))).toBe('25006');
  });

  test('a replica stopped fast comes back on the same URL and catches up with writes made meanwhile', async () => {
    const replica = cluster.replicas[0] as LocalPostgresServer;
    await replica.stop({ mode: 'fast' });
    expect(replica.pid()).toBeUndefined();
    expect(await failureCode(rows(replica.url, 'select 1'))).toBe('ECONNREFUSED');
    await rows(primary.url, 'insert into kept values (3)');

    await replica.start();
    expect(replica.pid()).toBeTypeOf('number');
    expect(
      await eventually(
        () => idsOn(replica),
        (ids) => ids.includes(3),
      ),
    ).toContain(3);
  });

  test('replicas need the embedded provider: a URL is passed over, and the error says why', async () => {
    const saved = process.env.STRATA_TEST_DATABASE_URL;
    process.env.STRATA_TEST_DATABASE_URL = 'postgres://someone@127.0.0.1:1/db';
    try {
      const failure = await startPostgres({ providers: ['url', 'docker'], replicas: 1, log: false }).catch(
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(NoPostgresAvailableError);
      expect((failure as Error).message).toContain('only the embedded provider starts replicas');
    } finally {
      if (saved === undefined) delete process.env.STRATA_TEST_DATABASE_URL;
      else process.env.STRATA_TEST_DATABASE_URL = saved;
    }
  });

  test('replicas cannot be combined with persistent mode', async () => {
    const failure = await startPostgres({ persistent: true, dataDir: '/tmp/x', replicas: 1 }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(InvalidConfigError);
    expect((failure as Error).message).toContain('replicas');
  });
});

describe('faults on the primary', () => {
  test('after an immediate stop, start() runs crash recovery and committed rows are still there', async () => {
    await rows(primary.url, 'insert into kept values (10)');
    await primary.stop({ mode: 'immediate' });
    expect(await failureCode(rows(primary.url, 'select 1'))).toBe('ECONNREFUSED');

    await primary.start();
    expect(await idsOn(primary)).toContain(10);
  });

  test('after SIGKILL of the postmaster, start() recovers on the same URL and the replicas stream again', async () => {
    await rows(primary.url, 'insert into kept values (20)');
    const crashed = primary.pid() as number;
    await primary.kill();
    expect(primary.pid()).toBeUndefined();
    expect(() => process.kill(crashed, 0)).toThrow();

    await primary.start();
    expect(primary.pid()).not.toBe(crashed);
    expect(await idsOn(primary)).toContain(20);
    await eventually(
      () => streamingReplicas(primary),
      (names) => names.length === 2,
    );
    await rows(primary.url, 'insert into kept values (21)');
    const replica = cluster.replicas[0] as LocalPostgresServer;
    expect(
      await eventually(
        () => idsOn(replica),
        (ids) => ids.includes(21),
      ),
    ).toContain(21);
  });

  test("onExit tells a crash from outside (requested: false) from the handle's own stop and kill", async () => {
    const exits: ServerExit[] = [];
    const unsubscribe = primary.onExit((exit) => exits.push(exit));
    try {
      process.kill(primary.pid() as number, 'SIGKILL'); // as the OOM killer or `kill -9` would
      await waitUntil(async () => exits.length === 1, {
        timeoutMs: 10_000,
        timeoutError: () => new Error('the crash was never reported'),
      });
      expect(primary.pid()).toBeUndefined();
      await primary.start(); // a supervisor's answer: same port and data
      await primary.stop();
      await primary.start();
      await primary.kill();
      await primary.start();
    } finally {
      unsubscribe();
    }
    await primary.restart(); // no longer heard
    expect(exits).toEqual([
      { code: null, signal: 'SIGKILL', requested: false },
      { code: 0, signal: null, requested: true },
      { code: null, signal: 'SIGKILL', requested: true },
    ]);
    await rows(primary.url, 'insert into kept values (25)');
  });

  test('promote() refuses a server that is not a replica', async () => {
    expect(await failureCode(primary.promote())).toBe('NOT_A_REPLICA');
  });

  test('failover: with the primary killed, a promoted replica accepts writes', async () => {
    const replica = cluster.replicas[1] as LocalPostgresServer;
    await eventually(
      () => idsOn(replica),
      (ids) => ids.includes(21),
    );
    await primary.kill();
    try {
      await replica.promote();
      expect(await rows(replica.url, 'select pg_is_in_recovery() as recovering')).toEqual([
        { recovering: false },
      ]);
      await rows(replica.url, 'insert into kept values (30)');
      expect(await idsOn(replica)).toEqual(expect.arrayContaining([21, 30]));
    } finally {
      await primary.start();
    }
  });
});
