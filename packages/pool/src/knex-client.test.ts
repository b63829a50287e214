import { afterAll, describe, expect, test, vi } from 'vitest';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
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

describe('Knex statements', () => {
  const preparedOn = async (p: Pool) =>
    (await p.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.map(
      (row) => row.statement,
    );
  const poolOfOne = (config: { preparedStatements?: boolean } = {}) => {
    const p = createPool(
      { connectionString: serverUrl(), max: 1, min: 0, applicationName, ...config },
      { environment: {} },
    );
    pools.push(p);
    return p;
  };
  const pools: Pool[] = [];
  afterAll(() => Promise.all(pools.map((p) => p.close())));

  test('with bindings, a builder query runs as a named statement the connection prepares once, as raw queries do', async () => {
    const p = poolOfOne();
    const plusOne = (n: number) => p.knex.select(p.knex.raw('?::int + 1 AS n', [n])).first();
    expect([await plusOne(1), await plusOne(41)]).toEqual([{ n: 2 }, { n: 42 }]);
    const { sql } = plusOne(0).toSQL().toNative();
    expect(await preparedOn(p)).toEqual([sql]);
    // Pool and Knex share one name per text: a raw query of the same text reuses it.
    await p.query(sql, [1, 1]);
    expect(await preparedOn(p)).toEqual([sql]);
  });

  test('preparedStatements: false runs Knex queries unnamed too', async () => {
    const p = poolOfOne({ preparedStatements: false });
    expect(await p.knex.select(p.knex.raw('?::int AS n', [7])).first()).toEqual({ n: 7 });
    expect(await preparedOn(p)).toEqual([]);
  });

  test('without bindings a Knex query is a simple query and may hold several statements; with .options() it runs as Knex sends it', async () => {
    const p = poolOfOne();
    await expect(p.knex.raw('SELECT 1; SELECT 2')).resolves.toBeDefined();
    const rows = await p.knex.select(p.knex.raw('?::int AS n', [3])).options({ rowMode: 'array' });
    expect(rows).toEqual([[3]]);
    expect(await preparedOn(p)).toEqual([]);
  });

  test('a Knex statement made stale by DDL is prepared again outside a transaction; inside one it fails and the connection is retired', async () => {
    const p = poolOfOne();
    const removed: string[] = [];
    p.on('remove', ({ reason }) => removed.push(reason));
    const table = uniqueName('knex_stale');
    await p.query(`CREATE TABLE ${table} (id int)`);
    await p.query(`INSERT INTO ${table} VALUES (1)`);
    const byId = () => p.knex(table).where({ id: 1 });
    expect(await byId()).toEqual([{ id: 1 }]);
    await p.query(`ALTER TABLE ${table} ADD COLUMN name text DEFAULT 'x'`);
    expect(await byId()).toEqual([{ id: 1, name: 'x' }]);

    await p.query(`ALTER TABLE ${table} ADD COLUMN note text`);
    const failed = await p.knex
      .transaction(async (trx) => trx(table).where({ id: 1 }))
      .then(
        () => undefined,
        (error: unknown) => error as Error & { code?: string },
      );
    expect(failed?.message).toMatch(/cached plan must not change result type/);
    expect(failed?.message).not.toMatch(/select/i);
    expect(removed).toEqual(['stale-statement']);
    expect(await byId()).toEqual([{ id: 1, name: 'x', note: null }]);
    await p.query(`DROP TABLE ${table}`);
  });
});
