import { execFileSync } from 'node:child_process';
import { ConnectionError } from '@strata/errors';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createPool } from './create-pool.js';
import type { Pool, PoolEvents, RemovalReason } from './pool.js';
import { TcpProxy } from './test-support/tcp-proxy.js';
import { backendsOf, serverUrl, terminate, uniqueName, withAdmin } from './test-support/test-database.js';

const PSQL = '/usr/lib/postgresql/15/bin/psql';

function terminateSynchronously(applicationName: string): void {
  // pg_terminate_backend(pid, timeout) returns once the backend is gone.
  execFileSync(PSQL, [
    serverUrl(),
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = '${applicationName}'`,
  ]);
}

const pools: Pool[] = [];
function pool(config: Parameters<typeof createPool>[0]): Pool {
  const created = createPool({ connectionString: serverUrl(), ...config }, { environment: {} });
  pools.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 1_000 })));
});

function removals(p: Pool): PoolEvents['remove'][0][] {
  const seen: PoolEvents['remove'][0][] = [];
  p.on('remove', (event) => seen.push(event));
  return seen;
}
const count = (events: { reason: RemovalReason }[], reason: RemovalReason) =>
  events.filter((event) => event.reason === reason).length;
const until = (assertion: () => void | Promise<void>) =>
  vi.waitFor(assertion, { timeout: 15_000, interval: 25 });

describe('warm minimum', () => {
  test('after idle eviction the pool refills to min', async () => {
    const applicationName = uniqueName('warm');
    const p = pool({ applicationName, min: 2, max: 5, idleTimeout: 200, healthCheckPeriod: 100 });
    const removed = removals(p);
    await p.ready();
    const burst = await Promise.all(Array.from({ length: 5 }, () => p.connect()));
    expect(p.stats().total).toBe(5);
    for (const client of burst) client.release();

    await until(() => expect(count(removed, 'idle-timeout')).toBeGreaterThanOrEqual(5));
    await until(() => expect(p.stats()).toMatchObject({ total: 2, idle: 2, opening: 0 }));
    await until(async () =>
      expect(await withAdmin((admin) => backendsOf(admin, applicationName))).toHaveLength(2),
    );
  });
});

describe('max lifetime', () => {
  test('a connection past maxLifetime is retired when released, never mid-query', async () => {
    const p = pool({ min: 0, max: 2, maxLifetime: 300, maxLifetimeJitter: 0, healthCheckPeriod: 60_000 });
    const removed = removals(p);
    const client = await p.connect();
    const pid = client.processId;
    // The statement runs across the connection's whole lifetime and still completes.
    await client.query('SELECT pg_sleep(0.5)');
    expect((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid).toBe(pid);
    expect(removed).toEqual([]);

    client.release();
    expect(removed).toMatchObject([{ processId: pid, reason: 'max-lifetime' }]);
    const next = await p.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    expect(next.rows[0]?.pid).not.toBe(pid);
  });

  test('connections get different lifetimes (jitter), so they do not all rotate together', async () => {
    const p = pool({ min: 0, max: 6, maxLifetime: 400, maxLifetimeJitter: 0.5, healthCheckPeriod: 20 });
    const removed = removals(p);
    const retiredAt = new Map<number, number>();
    p.on('remove', ({ connectionId }) => retiredAt.set(connectionId, performance.now()));
    const clients = await Promise.all(Array.from({ length: 6 }, () => p.connect()));
    for (const client of clients) client.release();
    await until(() => expect(count(removed, 'max-lifetime')).toBe(6));
    expect(new Set(retiredAt.values()).size).toBeGreaterThan(1);
  });
});

describe('health check', () => {
  test('idle connections that stopped answering are probed, closed and replaced, back to min', async () => {
    const server = new URL(serverUrl());
    const proxy = await TcpProxy.reserve({ host: server.hostname, port: Number(server.port) });
    await proxy.start();
    try {
      const url = new URL(serverUrl());
      url.port = String(proxy.port);
      // pingAfterIdle: 0 leaves the finding to the periodic health check.
      const p = pool({
        connectionString: url.toString(),
        min: 2,
        max: 4,
        healthCheckPeriod: 100,
        pingAfterIdle: 0,
        connectTimeout: 300,
      });
      const removed = removals(p);
      await p.ready();
      proxy.freezeConnections(); // the sockets stay open; nothing answers on them any more
      await until(() => expect(count(removed, 'health-check')).toBe(2));
      await until(() => expect(p.stats()).toMatchObject({ total: 2, idle: 2, created: 4 }));
      await expect(p.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
    } finally {
      await proxy.stop();
    }
  });

  test('idle connections killed by pg_terminate_backend are removed and replaced, back to min', async () => {
    const applicationName = uniqueName('health');
    const p = pool({ applicationName, min: 3, max: 5, healthCheckPeriod: 200, pingAfterIdle: 0 });
    await p.ready();
    const killed = await withAdmin(async (admin) => {
      const pids = await backendsOf(admin, applicationName);
      await terminate(admin, pids);
      return pids;
    });
    expect(killed).toHaveLength(3);

    await until(() => expect(p.stats()).toMatchObject({ total: 3, idle: 3, destroyed: 3 }));
    const now = await withAdmin((admin) => backendsOf(admin, applicationName));
    expect(now).toHaveLength(3);
    expect(now.filter((pid) => killed.includes(pid))).toEqual([]);
    const results = await Promise.all(Array.from({ length: 3 }, () => p.query('SELECT 1 AS ok')));
    expect(results.map((result) => result.rows)).toEqual([[{ ok: 1 }], [{ ok: 1 }], [{ ok: 1 }]]);
  });

  test('callers never receive a connection that died while idle', async () => {
    const applicationName = uniqueName('dead');
    const p = pool({ applicationName, min: 4, max: 4, healthCheckPeriod: 60_000, pingAfterIdle: 1 });
    await p.ready();
    // Kill the backends synchronously, so this process has not yet seen the sockets close
    // when the queries below take connections: only the ping on acquire can tell.
    terminateSynchronously(applicationName);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => p.query('SELECT 1 AS ok')));
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    expect(p.stats().destroyed).toBe(4);
  });

  test('after a server restart (connections dropped, then refused for a while) the pool recovers by itself', async () => {
    const server = new URL(serverUrl());
    const proxy = await TcpProxy.reserve({ host: server.hostname, port: Number(server.port) });
    await proxy.start();
    try {
      const url = new URL(serverUrl());
      url.port = String(proxy.port);
      const p = pool({ connectionString: url.toString(), min: 2, max: 4, healthCheckPeriod: 100 });
      await p.ready();
      const before = p.stats().created;

      await proxy.stop(); // every connection drops and new ones are refused: the server is "down"
      await until(() => expect(p.stats()).toMatchObject({ total: 0, destroyed: 2 }));
      await expect(p.query('SELECT 1')).rejects.toBeInstanceOf(ConnectionError);

      await proxy.start(); // the server is back
      await until(() => expect(p.stats()).toMatchObject({ total: 2, created: before + 2 }));
      await expect(p.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
    } finally {
      await proxy.stop();
    }
  });
});

describe('idle connections that outlive their lifetime', () => {
  test('are retired by the health check, not handed out', async () => {
    const p = pool({ min: 2, max: 2, maxLifetime: 200, maxLifetimeJitter: 0, healthCheckPeriod: 50 });
    const removed = removals(p);
    await p.ready();
    await until(() => expect(count(removed, 'max-lifetime')).toBeGreaterThanOrEqual(2));
    await until(() => expect(p.stats().total).toBe(2));
  });
});
