import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseError } from '@strata/errors';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createPool } from './create-pool.js';
import type { Pool, PoolEvents } from './pool.js';
import type { CheckedOutClient, PoolClient } from './pool-client.js';
import { PoolTimeoutError } from './pool-errors.js';
import { serverUrl } from './test-support/test-database.js';

const pools: Pool[] = [];
function pool(config: Parameters<typeof createPool>[0]): Pool {
  const created = createPool({ connectionString: serverUrl(), ...config }, { environment: {} });
  pools.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 1_000 })));
});

describe('acquire timeout', () => {
  test('a caller that waits too long gets PoolTimeoutError with total, idle and waiting counts', async () => {
    const p = pool({ max: 1, min: 1, acquireTimeout: 100 });
    await p.ready(); // opening the connection is not what is timed here
    const held = await p.connect();
    try {
      const error = await p.query('SELECT 1').then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PoolTimeoutError);
      expect((error as PoolTimeoutError).code).toBe('POOL_TIMEOUT');
      expect((error as PoolTimeoutError).counts).toEqual({
        total: 1,
        idle: 0,
        active: 1,
        waiting: 1,
        max: 1,
      });
      expect((error as Error).message).toMatch(/total 1, idle 0, active 1, waiting 1, max 1/);
      expect(p.stats()).toMatchObject({ acquireTimeouts: 1, waiting: 0 });
    } finally {
      held.release();
    }
    // The timed-out caller left the queue: the next one is served at once.
    await expect(p.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  test('Knex callers get the same PoolTimeoutError', async () => {
    const p = pool({ max: 1, min: 1, acquireTimeout: 100 });
    await p.ready(); // opening the connection is not what is timed here
    const held = await p.connect();
    try {
      await expect(p.knex.raw('SELECT 1')).rejects.toBeInstanceOf(PoolTimeoutError);
    } finally {
      held.release();
    }
  });
});

describe('leak detection', () => {
  function checkOutAndForget(p: Pool): Promise<PoolClient> {
    return p.connect();
  }

  test('a connection held past the threshold is reported once, with the stack that acquired it', async () => {
    const p = pool({ max: 2, leakDetectionThreshold: 100 });
    const leaks: PoolEvents['leak'][0][] = [];
    p.on('leak', (leak) => leaks.push(leak));
    const client = await checkOutAndForget(p);
    await vi.waitFor(() => expect(leaks).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(leaks[0]).toMatchObject({ processId: client.processId });
    expect(leaks[0]?.heldMs).toBeGreaterThanOrEqual(100);
    expect(leaks[0]?.stack).toContain('checkOutAndForget');
    expect(leaks[0]?.stack).toContain('pool-limits.test.ts');
    await sleep(300); // several more sweeps
    expect(leaks).toHaveLength(1);
    client.release();
  });

  test('a Knex transaction held past the threshold is reported; short pool.query calls are not', async () => {
    const p = pool({ max: 2, leakDetectionThreshold: 100 });
    const leaks: PoolEvents['leak'][0][] = [];
    p.on('leak', (leak) => leaks.push(leak));
    await p.query('SELECT pg_sleep(0.2)'); // held past the threshold, but released by the pool itself
    expect(leaks).toEqual([]);
    await p.knex.transaction(async function transactionThatDawdles(trx) {
      await trx.raw('SELECT 1');
      await vi.waitFor(() => expect(leaks).toHaveLength(1), { timeout: 10_000, interval: 20 });
    });
    expect(leaks[0]?.stack).toContain('pool-limits.test.ts');
  });

  test('a checkout captures where it happened only when leak detection is on', async () => {
    const leaseStackOf = (client: PoolClient) => (client as CheckedOutClient).pooled.leaseStack;
    const watched = await pool({ max: 1, leakDetectionThreshold: 60_000 }).connect();
    expect(leaseStackOf(watched)).toBeInstanceOf(Error);
    watched.release();
    // Off, checking out allocates no Error for a stack nobody would read.
    const unwatched = await pool({ max: 1, leakDetectionThreshold: 0 }).connect();
    expect(leaseStackOf(unwatched)).toBeUndefined();
    unwatched.release();
    // A holder that reports long holds itself opts out per checkout.
    const optedOut = await pool({ max: 1, leakDetectionThreshold: 60_000 }).connect({ leakDetection: false });
    expect(leaseStackOf(optedOut)).toBeUndefined();
    optedOut.release();
  });

  test('without a listener, the report goes to console.warn', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const p = pool({ max: 1, leakDetectionThreshold: 50 });
      const client = await checkOutAndForget(p);
      await vi.waitFor(() => expect(warn).toHaveBeenCalledTimes(1), { timeout: 10_000, interval: 20 });
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/checked out for \d+ ms[\s\S]*checkOutAndForget/);
      client.release();
    } finally {
      warn.mockRestore();
    }
  });
});

describe('stats() and events', () => {
  test('count connections, acquisitions, waiting callers, latency and errors', async () => {
    const p = pool({ max: 2, min: 1 });
    const events: string[] = [];
    p.on('connect', () => events.push('connect'));
    p.on('remove', ({ reason }) => events.push(`remove:${reason}`));
    expect(p.stats()).toMatchObject({ total: 0, created: 0, acquireCount: 0, errors: 0 });

    const held = [await p.connect(), await p.connect()];
    const waiting = p.query('SELECT 1');
    expect(p.stats()).toMatchObject({ total: 2, active: 2, idle: 0, waiting: 1 });
    await sleep(20);
    held[0]?.release();
    await waiting;
    held[1]?.release(true);
    await expect(p.query('SELECT * FROM no_such_table')).rejects.toBeInstanceOf(DatabaseError);

    const stats = p.stats();
    expect(stats).toMatchObject({
      total: 1,
      idle: 1,
      active: 0,
      waiting: 0,
      created: 2,
      destroyed: 1,
      errors: 1,
    });
    expect(stats.acquireCount).toBe(4);
    expect(stats.acquireLatencyMs.p99).toBeGreaterThan(0); // the waiter's wait was measured
    expect(stats.acquireLatencyMs.p50).toBeLessThanOrEqual(stats.acquireLatencyMs.p99);
    expect(events).toEqual(['connect', 'connect', 'remove:destroyed-by-caller']);
  });

  test('a client released mid-transaction is closed rather than reused', async () => {
    const p = pool({ max: 1 });
    const removed: string[] = [];
    p.on('remove', ({ reason }) => removed.push(reason));
    const client = await p.connect();
    await client.query('BEGIN');
    client.release();
    expect(removed).toEqual(['in-transaction']);
    await expect(p.query('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
  });

  test('a released client cannot be used or released again', async () => {
    const p = pool({ max: 1 });
    const client = await p.connect();
    client.release();
    expect(client.released).toBe(true);
    await expect(client.query('SELECT 1')).rejects.toMatchObject({ code: 'CLIENT_RELEASED' });
    expect(() => client.release()).toThrow(/already released/);
  });
});
