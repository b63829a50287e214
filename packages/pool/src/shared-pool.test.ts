import { Model } from 'objection';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createPool } from './create-pool.js';
import type { Pool } from './pool.js';
import { backendsOf, createDatabase, uniqueName, withAdmin } from './test-support/test-database.js';

class Item extends Model {
  static override tableName = 'items';
  declare id: number;
  declare label: string;
}

let url: string;
let pool: Pool;
const applicationName = uniqueName('shared');
const max = 4;

beforeAll(async () => {
  url = await createDatabase('shared_pool');
  pool = createPool({ connectionString: url, max, min: 1, applicationName }, { environment: {} });
  await pool.query('CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)');
  await pool.query("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) AS g");
});
afterAll(() => pool.close());

test('raw, Knex and Objection share one pool: under 3x max concurrent callers, PostgreSQL never sees more than max backends', async () => {
  const BoundItem = pool.bindModel(Item);
  const callers = max * 3;
  const rounds = 30;
  let running = true;
  let mostBackends = 0;

  // Every session in this test's own database except the sampler's: connections opened
  // behind the pool's back (by Knex, say) would show up here whatever their name.
  const sampler = withAdmin(async (admin) => {
    while (running) {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      mostBackends = Math.max(mostBackends, rows[0]?.n ?? 0);
    }
  }, url);

  const caller = async (index: number) => {
    for (let round = 0; round < rounds; round += 1) {
      const id = ((index * rounds + round) % 100) + 1;
      const path = (index + round) % 3;
      // pg_sleep keeps connections busy long enough for the callers to really contend.
      if (path === 0) {
        const { rows } = await pool.query<{ label: string }>(
          'SELECT label, pg_sleep(0.002) FROM items WHERE id = $1',
          [id],
        );
        expect(rows[0]?.label).toBe(`item ${id}`);
      } else if (path === 1) {
        const row = await pool
          .knex('items')
          .select('label', pool.knex.raw('pg_sleep(0.002)'))
          .where({ id })
          .first();
        expect(row.label).toBe(`item ${id}`);
      } else {
        const item = await BoundItem.query().findById(id).select('label', BoundItem.raw('pg_sleep(0.002)'));
        expect(item?.label).toBe(`item ${id}`);
      }
      expect(pool.stats().total).toBeLessThanOrEqual(max);
    }
  };

  await Promise.all(Array.from({ length: callers }, (_, index) => caller(index)));
  running = false;
  await sampler;

  expect(mostBackends).toBeLessThanOrEqual(max);
  expect(await withAdmin((admin) => backendsOf(admin, applicationName), url)).toHaveLength(max);
  const stats = pool.stats();
  expect(stats.created).toBeLessThanOrEqual(max); // no connection was opened behind the pool's back
  expect(stats.total).toBe(max); // the load really used the whole pool
  expect(stats.acquireCount).toBeGreaterThanOrEqual(callers * rounds);
});

test('Knex transactions take their connection from the pool and give it back', async () => {
  const before = pool.stats();
  await pool.knex.transaction(async (trx) => {
    await trx('items').where({ id: 1 }).update({ label: 'changed' });
    expect(pool.stats().active).toBe(before.active + 1);
    await trx('items').where({ id: 1 }).update({ label: 'item 1' });
  });
  expect(pool.stats().active).toBe(before.active);
  expect(pool.stats().created).toBe(before.created);
});

test('knex.destroy() does not close the pool', async () => {
  await pool.knex.destroy();
  expect((await pool.knex('items').count({ n: '*' }))[0]).toEqual({ n: '100' });
});
