import type {} from '@strata/local-postgres/vitest-global-setup';
import { createPool } from '@strata/pool';
import { expect, inject, test } from 'vitest';
import { assertNoConnectionLeak, ConnectionLeakError } from './connection-leak.js';

test('a checked-out connection is a leak until it is released', async () => {
  const pool = createPool(
    { connectionString: inject('strataDatabaseUrl'), min: 0, max: 2 },
    { environment: {} },
  );
  try {
    const client = await pool.connect();
    expect(() => assertNoConnectionLeak(pool)).toThrow(ConnectionLeakError);
    expect(() => assertNoConnectionLeak(pool)).toThrow(/1 pool connection\(s\) were still checked out/);
    client.release();
    expect(() => assertNoConnectionLeak(pool)).not.toThrow();
  } finally {
    await pool.close();
  }
});
