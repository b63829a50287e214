import type {} from '@strata/local-postgres/vitest-global-setup';
import { createPool, type Pool } from '@strata/pool';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { assertNoConnectionLeak, ConnectionLeakError, withConnectionLeakCheck } from './connection-leak.js';
import { withRollback } from './with-rollback.js';

let pool: Pool;
beforeAll(() => {
  pool = createPool({ connectionString: inject('strataDatabaseUrl'), min: 0, max: 3 }, { environment: {} });
});
afterAll(() => pool.close());

describe('assertNoConnectionLeak', () => {
  test('a checked-out connection is a leak until it is released', async () => {
    const client = await pool.connect();
    expect(() => assertNoConnectionLeak(pool)).toThrow(ConnectionLeakError);
    expect(() => assertNoConnectionLeak(pool)).toThrow(/1 pool connection\(s\) were still checked out/);
    client.release();
    expect(() => assertNoConnectionLeak(pool)).not.toThrow();
  });

  test('inside a transaction it does not count the connection that transaction runs on', async () => {
    await withRollback(pool, async () => {
      expect(() => assertNoConnectionLeak(pool)).not.toThrow();
      const client = await pool.connect();
      expect(() => assertNoConnectionLeak(pool)).toThrow(/1 pool connection\(s\) were still checked out/);
      client.release();
    });
  });
});

describe('withConnectionLeakCheck', () => {
  test('names the test and where the leaked client was acquired, and releases it', async () => {
    const failure = await withConnectionLeakCheck(pool, 'tickets > assigns a ticket', async () => {
      const kept = await pool.connect();
      await kept.query('select 1');
      const released = await pool.connect();
      released.release();
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionLeakError);
    expect((failure as ConnectionLeakError).message).toMatch(
      /^Test "tickets > assigns a ticket" left 1 pool connection\(s\) checked out/,
    );
    // Where: this file, so the author finds the pool.connect() without a release.
    expect((failure as ConnectionLeakError).message).toMatch(
      /acquired at:\n\s+at .*connection-leak\.test\.ts:\d+/,
    );
    // Cleaned up: the pool has nothing checked out, so the next test is unaffected.
    expect(pool.stats().active).toBe(0);
  });

  test('returns what the test returned when every client was released', async () => {
    const result = await withConnectionLeakCheck(pool, 'clean', async () => {
      const client = await pool.connect();
      try {
        return (await client.query<{ n: number }>('select 2 as n')).rows[0]?.n;
      } finally {
        client.release();
      }
    });
    expect(result).toBe(2);
  });

  test('a failing test still has its leaked clients released, and keeps its own error', async () => {
    const failure = await withConnectionLeakCheck(pool, 'fails', async () => {
      await pool.connect();
      throw new Error('the assertion that failed');
    }).catch((error: unknown) => error);
    expect((failure as Error).message).toBe('the assertion that failed');
    expect(pool.stats().active).toBe(0);
  });
});
