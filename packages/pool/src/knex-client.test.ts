import { afterAll, expect, test, vi } from 'vitest';
import { createPool } from './create-pool.js';
import { serverUrl, uniqueName, withAdmin } from './test-support/test-database.js';

const applicationName = uniqueName('knex_client');
const pool = createPool(
  { connectionString: serverUrl(), max: 2, min: 0, applicationName },
  { environment: {} },
);
afterAll(() => pool.close());

async function sleepers(fragment: string): Promise<number> {
  return withAdmin(async (admin) => {
    const { rows } = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE $2 AND state = 'active'",
      [applicationName, `%${fragment}%`],
    );
    return rows.length;
  });
}

test("a Knex query's timeout with cancel: true cancels the statement on the server without taking a connection", async () => {
  const error = await pool.knex
    .raw('SELECT pg_sleep(30)')
    .timeout(200, { cancel: true })
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect((error as Error).name).toBe('KnexTimeoutError');
  // The cancel went out-of-band: the pool opened no extra connection, and the statement ends.
  expect(pool.stats().created).toBe(1);
  await vi.waitFor(async () => expect(await sleepers('pg_sleep(30)')).toBe(0), {
    timeout: 10_000,
    interval: 20,
  });
  await expect(pool.knex.raw('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
});

test('a Knex query given up without cancel leaves a connection the pool closes rather than reuses', async () => {
  const removed: string[] = [];
  pool.on('remove', ({ reason }) => removed.push(reason));
  const error = await pool.knex
    .raw('SELECT pg_sleep(2.5)')
    .timeout(200)
    .then(
      () => undefined,
      (caught: unknown) => caught,
    );
  expect((error as Error).name).toBe('KnexTimeoutError');
  expect(removed).toEqual(['destroyed-by-caller']);
  await expect(pool.knex.raw('SELECT 1 AS ok')).resolves.toMatchObject({ rows: [{ ok: 1 }] });
});

test('Knex errors carry no SQL values, even on the driver error kept as cause', async () => {
  const error = await pool.knex.raw('SELECT ?::int / 0', [987_654]).then(
    () => undefined,
    (caught: unknown) => caught as Error & { cause?: Error },
  );
  expect(error?.message).not.toMatch(/select/i);
  expect(error?.cause?.message).not.toContain('987654');
});
