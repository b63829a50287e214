import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, IdleInTransactionTimeoutError, StatementTimeoutError } from '@strata/errors';
import { type LocalPostgres, type LocalPostgresServer, startPostgres } from '@strata/local-postgres';
import { withAdminConnection } from '@strata/local-postgres/test-database';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createPool } from './create-pool.js';
import type { Pool, PoolEvents } from './pool.js';
import { errorCounts, LoadCallers } from './test-support/load-callers.js';
import { uniqueName } from './test-support/test-database.js';

// Faults on a real server of this file's own (stopping the shared one would break the other
// files). `STRATA_FAULTS=long` runs the same scenarios with more callers, longer and repeatedly.
const LONG = process.env.STRATA_FAULTS === 'long';
const PROFILE = LONG
  ? { callers: 64, max: 16, loadMs: 2_000, downMs: 2_000, cycles: 5 }
  : { callers: 16, max: 8, loadMs: 300, downMs: 300, cycles: 1 };

const TEST_TIMEOUT_MS = LONG ? 600_000 : 60_000;

/** One parseable line per figure: `[faults] <scenario>: <figures>`. */
const report = (scenario: string, figures: string) => console.info(`[faults] ${scenario}: ${figures}`);

let local: LocalPostgres;
let server: LocalPostgresServer;
beforeAll(async () => {
  local = await startPostgres({
    providers: ['embedded'],
    // Throwaway servers run with synchronous_commit off, which may lose acknowledged commits
    // in a crash; these tests count them.
    settings: { synchronous_commit: 'on' },
    log: false,
  });
  server = local.primary as LocalPostgresServer;
}, 120_000);
afterAll(() => local?.stop());

const pools: Pool[] = [];
function pool(config: Parameters<typeof createPool>[0]): Pool {
  const created = createPool({ connectionString: local.connectionString, ...config }, { environment: {} });
  pools.push(created);
  return created;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close({ timeoutMs: 1_000 })));
});

const admin = <T>(fn: Parameters<typeof withAdminConnection<T>>[0]) =>
  withAdminConnection(fn, local.connectionString);

/** Waits until the server no longer lists any of `pids` (terminated backends take a moment). */
const backendsGone = (pids: readonly number[]) =>
  vi.waitFor(
    () =>
      admin(async (client) => {
        const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1::int[])', [
          pids,
        ]);
        expect(rows).toEqual([]);
      }),
    { timeout: 20_000, interval: 20 },
  );

function removals(p: Pool): Map<number, { at: number; reason: string }> {
  const removed = new Map<number, { at: number; reason: string }>();
  p.on('remove', ({ processId, reason }: PoolEvents['remove'][0]) =>
    removed.set(processId, { at: performance.now(), reason }),
  );
  return removed;
}

describe('backends terminated under load', () => {
  // "No broken connection handed out", precisely: (1) every error a caller sees is a
  // ConnectionError; (2) each terminated backend fails at most one call — the one running on
  // it when it died; (3) no connection is checked out after the pool removed it; (4) once the
  // server lists none of the terminated backends (by then this process has read each one's
  // FATAL message), no call fails and none runs on a terminated backend, not even a burst that
  // takes every connection at once. Busy: more callers than connections, so every connection
  // is in use; half idle: idle connections die too.
  test.each([
    ['busy', PROFILE.callers],
    ['half-idle', PROFILE.max / 2],
  ])(
    '%s: pg_terminate_backend on every pool connection while callers query',
    async (shape, callers) => {
      for (let cycle = 1; cycle <= PROFILE.cycles; cycle++) {
        const applicationName = uniqueName('terminated');
        const p = pool({
          applicationName,
          max: PROFILE.max,
          min: PROFILE.max,
          acquireTimeout: 60_000,
          // No ping before handing out an idle connection: the pool must know of the deaths itself.
          pingAfterIdle: 0,
        });
        await p.ready();
        const removed = removals(p);
        // Even callers check a client out (so a failure names its backend), odd ones use the hot path.
        const load = new LoadCallers(
          callers,
          async (caller) => {
            if (caller % 2 === 1) {
              const { rows } = await p.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
              return { pid: rows[0]?.pid as number, checkedOutAt: undefined };
            }
            const client = await p.connect();
            const checkedOutAt = performance.now();
            try {
              await client.query('SELECT pg_sleep(0.001)');
            } catch (error) {
              throw Object.assign(error as Error, { pid: client.processId, checkedOutAt });
            } finally {
              client.release();
            }
            return { pid: client.processId, checkedOutAt };
          },
          100,
        ); // a caller backs off a little after an error, as a real one would
        await sleep(PROFILE.loadMs);

        const terminated = await admin(async (client) => {
          const { rows } = await client.query<{ pid: number }>(
            'SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          );
          return rows.map((row) => row.pid);
        });
        await backendsGone(terminated);
        const goneAt = performance.now();
        // Every connection at once, so idle ones deep in the stack are handed out too.
        const burst = await Promise.allSettled(
          Array.from({ length: PROFILE.max }, async () => {
            const client = await p.connect();
            try {
              await client.query('SELECT 1');
              return client.processId;
            } finally {
              client.release();
            }
          }),
        );
        await load.allServedAfter(goneAt);
        await sleep(PROFILE.loadMs);
        await load.stop();
        await vi.waitFor(() => expect(p.stats()).toMatchObject({ total: PROFILE.max, idle: PROFILE.max }));

        const failures = load.failures;
        const attributed = failures.flatMap((call) => (call.error as { pid?: number }).pid ?? []);
        const after = load.calls.filter((call) => call.startedAt > goneAt);
        report(
          `backends-terminated-${shape}${LONG ? `-${cycle}` : ''}`,
          `terminated ${terminated.length}, callers ${callers}, calls ${load.calls.length}, failed ${failures.length} ` +
            `(${JSON.stringify(errorCounts(failures))}), calls after termination ${after.length}, ` +
            `failed after termination ${after.filter((call) => call.error).length}, ` +
            `burst ${burst.filter((result) => result.status === 'fulfilled').length}/${PROFILE.max} served`,
        );
        expect(terminated).toHaveLength(PROFILE.max);
        expect(failures.filter((call) => !(call.error instanceof ConnectionError))).toEqual([]);
        expect(failures.length).toBeLessThanOrEqual(terminated.length);
        expect(new Set(attributed).size).toBe(attributed.length);
        const checkouts = load.calls.flatMap((call) => {
          const { pid, checkedOutAt } = (call.value ?? call.error) as { pid?: number; checkedOutAt?: number };
          return pid !== undefined && checkedOutAt !== undefined ? [{ pid, checkedOutAt }] : [];
        });
        const afterRemoval = checkouts.filter(({ pid, checkedOutAt }) => {
          const removal = removed.get(pid);
          return removal !== undefined && checkedOutAt > removal.at;
        });
        expect(afterRemoval).toEqual([]);
        expect(after.filter((call) => call.error)).toEqual([]);
        expect(burst.filter((result) => result.status === 'rejected')).toEqual([]);
        expect(
          burst.filter((result) => terminated.includes((result as { value?: number }).value ?? 0)),
        ).toEqual([]);
        expect(after.filter((call) => terminated.includes(call.value?.pid as number))).toEqual([]);
        expect(terminated.filter((pid) => !removed.has(pid))).toEqual([]);
        await p.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe('server restarted under load', () => {
  beforeAll(() => admin((client) => client.query('CREATE TABLE written (id bigint PRIMARY KEY)')));

  // Writers insert ids and keep those acknowledged; after recovery every one must be in the
  // table (more may be: a commit whose acknowledgement the fault cut off). While the server
  // is away each call fails with a ConnectionError at once: acquireTimeout is longer than
  // the test, so a caller left hanging would fail it rather than time out into an error.
  test.each([
    ['fast', (s: LocalPostgresServer) => s.stop({ mode: 'fast' })],
    ['immediate', (s: LocalPostgresServer) => s.stop({ mode: 'immediate' })],
    ['sigkill', (s: LocalPostgresServer) => s.kill()],
  ] as const)(
    '%s: typed errors while it is away, recovery without a restart, no acknowledged write lost',
    async (mode, fault) => {
      const p = pool({
        max: PROFILE.max,
        min: 2,
        healthCheckPeriod: 500,
        acquireTimeout: 120_000,
        applicationName: uniqueName(mode),
      });
      await p.ready();
      const firstId = Number(
        (await p.query<{ next: string }>('SELECT coalesce(max(id), 0) + 1 AS next FROM written')).rows[0]
          ?.next,
      );
      let id = firstId;
      const acknowledged: number[] = [];
      const load = new LoadCallers(PROFILE.callers, async () => {
        const mine = id++;
        await p.query('INSERT INTO written (id) VALUES ($1)', [mine]);
        acknowledged.push(mine);
        return mine;
      });
      for (let cycle = 1; cycle <= PROFILE.cycles; cycle++) {
        await sleep(PROFILE.loadMs);
        const faultAt = performance.now();
        await fault(server);
        await sleep(PROFILE.downMs);
        await server.start();
        const backAt = performance.now();
        const servedAt = await load.allServedAfter(backAt);
        const outage = load.calls.filter((call) => call.endedAt > faultAt && call.startedAt < servedAt);
        const failed = outage.filter((call) => call.error);
        const slowestFailure = Math.max(0, ...failed.map((call) => call.endedAt - call.startedAt));
        report(
          `server-restart-${mode}${LONG ? `-${cycle}` : ''}`,
          // Recovery: from the server accepting connections again to every caller being served
          // (0 when they were before start() even returned).
          `recovery ${Math.max(0, Math.round(servedAt - backAt))} ms, unavailable ${Math.round(backAt - faultAt)} ms, ` +
            `failed ${failed.length} (${JSON.stringify(errorCounts(failed))}), slowest failure ${Math.round(slowestFailure)} ms`,
        );
        expect(failed.filter((call) => !(call.error instanceof ConnectionError))).toEqual([]);
      }
      await sleep(PROFILE.loadMs);
      await load.stop();

      const found = new Set(
        (await p.query<{ id: string }>('SELECT id FROM written WHERE id >= $1', [firstId])).rows.map((row) =>
          Number(row.id),
        ),
      );
      const lost = acknowledged.filter((written) => !found.has(written));
      report(
        `server-restart-${mode}`,
        `acknowledged ${acknowledged.length}, found ${found.size}, lost ${lost.length}, calls ${load.calls.length}`,
      );
      expect(lost).toEqual([]);
      expect(acknowledged.length).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );
});

describe('server-side timeouts', () => {
  const pidOf = async (p: Pool) =>
    (await p.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid as number;

  test('statement_timeout: StatementTimeoutError; the connection is reused only when its session is sound', async () => {
    const p = pool({ max: 1, min: 1, statementTimeout: 50 });
    const removed = removals(p);
    await p.ready();
    const pid = await pidOf(p);
    await expect(p.query('SELECT pg_sleep(10)')).rejects.toBeInstanceOf(StatementTimeoutError);
    await expect(p.knex.raw('SELECT pg_sleep(10)')).rejects.toBeInstanceOf(StatementTimeoutError);
    expect(await pidOf(p)).toBe(pid); // outside a transaction the session is fine: kept

    const client = await p.connect();
    await client.query('BEGIN');
    await expect(client.query('SELECT pg_sleep(10)')).rejects.toBeInstanceOf(StatementTimeoutError);
    client.release(); // inside an aborted transaction: closed, not handed to the next caller
    expect(removed.get(pid)?.reason).toBe('in-transaction');
    expect(await pidOf(p)).not.toBe(pid);
    report(
      'statement-timeout',
      'StatementTimeoutError on pg, knex and in a transaction; aborted session closed',
    );
  });

  test('idle_in_transaction_session_timeout: IdleInTransactionTimeoutError, on every later statement too, and the connection is closed', async () => {
    const p = pool({ max: 1, min: 1, idleInTransactionSessionTimeout: 50 });
    const removed = removals(p);
    await p.ready();
    await p.query('CREATE TABLE IF NOT EXISTS idle_writes (id int)');

    const client = await p.connect();
    await client.query('BEGIN');
    await client.query('INSERT INTO idle_writes VALUES (1)');
    await backendsGone([client.processId]); // the server ended the session (FATAL 25P03)
    await expect(client.query('SELECT 1')).rejects.toBeInstanceOf(IdleInTransactionTimeoutError);
    await expect(client.query('ROLLBACK')).rejects.toMatchObject({ code: 'IDLE_IN_TRANSACTION_TIMEOUT' });
    client.release();
    expect(removed.get(client.processId)?.reason).toBe('broken');

    const knexError = await p.knex
      .transaction(async (trx) => {
        const { rows } = await trx.raw<{ rows: { pid: number }[] }>('SELECT pg_backend_pid() AS pid');
        await backendsGone([rows[0]?.pid as number]);
        await trx.raw('SELECT 1');
      })
      .catch((error: unknown) => error);
    expect(knexError).toBeInstanceOf(IdleInTransactionTimeoutError);

    expect(await p.query('SELECT count(*)::int AS n FROM idle_writes')).toMatchObject({ rows: [{ n: 0 }] });
    expect(p.stats()).toMatchObject({ destroyed: 2 });
    report(
      'idle-in-transaction-timeout',
      'IdleInTransactionTimeoutError on pg and knex; 2 sessions closed, none reused',
    );
  });
});
