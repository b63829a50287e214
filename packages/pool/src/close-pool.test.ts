import { QueryCancelledError } from '@strata/errors';
import { describe, expect, test } from 'vitest';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import { PoolClosedError } from './pool-errors.js';
import { backendsOf, serverUrl, uniqueName, withAdmin } from './test-support/test-database.js';

function pool(config: Parameters<typeof createPool>[0] = {}): { p: Pool; applicationName: string } {
  const applicationName = uniqueName('close');
  const p = createPool({ connectionString: serverUrl(), applicationName, ...config }, { environment: {} });
  return { p, applicationName };
}

/** Resolves once PostgreSQL is running `fragment` for the given application. */
async function running(applicationName: string, fragment: string): Promise<void> {
  await withAdmin(async (admin) => {
    for (;;) {
      const { rows } = await admin.query(
        "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE $2",
        [applicationName, `%${fragment}%`],
      );
      if (rows.length > 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
}

describe('close()', () => {
  test('refuses new work with PoolClosedError, lets in-flight work finish, then closes every connection', async () => {
    const { p, applicationName } = pool({ min: 2 });
    await p.ready();
    // The in-flight query waits on a lock the test holds, so it is still running for as long
    // as the test needs, however slow the machine.
    const LOCK = 7_301;
    const inFlight = await withAdmin(async (admin) => {
      await admin.query('SELECT pg_advisory_lock($1)', [LOCK]);
      const query = p.query<{ done: boolean }>('SELECT true AS done, pg_advisory_xact_lock($1)', [LOCK]);
      await running(applicationName, 'pg_advisory_xact_lock');

      const closing = p.close({ timeoutMs: 20_000 });
      expect(p.closed).toBe(true);
      await expect(p.query('SELECT 1')).rejects.toBeInstanceOf(PoolClosedError);
      await expect(p.connect()).rejects.toBeInstanceOf(PoolClosedError);
      await expect(p.knex.raw('SELECT 1')).rejects.toBeInstanceOf(PoolClosedError);
      await expect(p.ready()).rejects.toBeInstanceOf(PoolClosedError);

      await admin.query('SELECT pg_advisory_unlock($1)', [LOCK]);
      return { query, closing };
    });

    expect((await inFlight.query).rows[0]?.done).toBe(true);
    await inFlight.closing;
    expect(p.stats()).toMatchObject({ total: 0, idle: 0, active: 0 });
    expect(await withAdmin((admin) => backendsOf(admin, applicationName))).toEqual([]);
  });

  test('callers still waiting for a connection get PoolClosedError', async () => {
    const { p } = pool({ max: 1 });
    const held = await p.connect();
    const waiting = p.query('SELECT 1');
    const closing = p.close({ timeoutMs: 5_000 });
    await expect(waiting).rejects.toBeInstanceOf(PoolClosedError);
    held.release();
    await closing;
  });

  test('work still running at the timeout is cancelled, and the pool closes anyway', async () => {
    const { p, applicationName } = pool();
    const slow = p.query('SELECT pg_sleep(30)').then(
      () => undefined,
      (error: unknown) => error,
    );
    await running(applicationName, 'pg_sleep(30)');
    await p.close({ timeoutMs: 200 });
    expect(await slow).toBeInstanceOf(QueryCancelledError);
    expect(await withAdmin((admin) => backendsOf(admin, applicationName))).toEqual([]);
  });

  test('a connection that is never released is closed after the timeout', async () => {
    const { p, applicationName } = pool();
    const forgotten = await p.connect();
    await p.close({ timeoutMs: 100 });
    expect(await withAdmin((admin) => backendsOf(admin, applicationName))).toEqual([]);
    await expect(forgotten.query('SELECT 1')).rejects.toBeInstanceOf(PoolClosedError);
    forgotten.release(); // harmless after close
  });

  test('close() is idempotent', async () => {
    const { p } = pool();
    await p.query('SELECT 1');
    await Promise.all([p.close(), p.close()]);
    await p.close();
  });
});
