import type {} from '@strata/local-postgres/vitest-global-setup';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { captureQueries } from './capture-queries.js';
import { expectQueries, QueryCountError } from './expect-queries.js';
import { findMissingIndexes, MissingIndexError } from './missing-indexes.js';
import { assertNoNPlusOne, findRepeatedQueries, NPlusOneQueryError } from './repeated-queries.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

let database: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase({ serverUrl: inject('strataDatabaseUrl') });
  client = new pg.Client({ connectionString: database.connectionString });
  await client.connect();
  await client.query(`
    create table customers (id bigint primary key, email text not null unique, region text not null);
    create table orders (id bigint primary key, customer_id bigint not null references customers (id), note text);
    create index orders_customer_id_idx on orders (customer_id);
    insert into customers select g, 'c' || g || '@example.com', 'r' || (g % 3) from generate_series(1, 20) g;
    insert into orders select g, 1 + g % 20, 'n' || g from generate_series(1, 60) g;
  `);
});
afterAll(async () => {
  await client.end();
  await database.drop();
});

/**
 * What a Knex or Objection query builder is: a thenable that sends its statement only when
 * awaited (`.then` is called), not when it is built.
 */
function lazyQuery(text: string, values: unknown[] = []): PromiseLike<pg.QueryResult> {
  return {
    // biome-ignore lint/suspicious/noThenProperty: the point of this object is to be a thenable.
    then: (onFulfilled, onRejected) => client.query(text, values).then(onFulfilled, onRejected),
  };
}

describe('captureQueries', () => {
  test('records what the code sent, with parameters, and only inside the capture', async () => {
    await client.query('select 1');
    const { result, queries } = await captureQueries(async () => {
      const { rows } = await client.query('select email from customers where id = $1', [3]);
      await client.query({
        name: 'by-region',
        text: 'select id from customers where region = $1',
        values: ['r1'],
      });
      return rows[0]?.email;
    });
    expect(result).toBe('c3@example.com');
    expect(queries).toEqual([
      { text: 'select email from customers where id = $1', values: [3], name: undefined },
      { text: 'select id from customers where region = $1', values: ['r1'], name: 'by-region' },
    ]);
  });

  test('a query builder returned without await (a thenable, as Knex and Objection return) runs inside the capture', async () => {
    const builder = lazyQuery('select email from customers where id = $1', [4]);
    const { result, queries } = await captureQueries(() => builder);
    expect(result.rows).toEqual([{ email: 'c4@example.com' }]);
    expect(queries.map((q) => q.text)).toEqual(['select email from customers where id = $1']);
  });

  test('concurrent work outside the capture is not counted', async () => {
    const other = new pg.Client({ connectionString: database.connectionString });
    await other.connect();
    try {
      const outside = other.query('select pg_sleep(0.05)');
      const { queries } = await captureQueries(() => client.query('select 1'));
      await outside;
      expect(queries.map((q) => q.text)).toEqual(['select 1']);
    } finally {
      await other.end();
    }
  });
});

describe('expectQueries', () => {
  const loadOrders = () =>
    client.query('select * from orders o join customers c on c.id = o.customer_id where c.id = $1', [1]);

  test('passes on the expected count and returns the result, ignoring transaction control', async () => {
    const result = await expectQueries(async () => {
      await client.query('begin');
      const rows = (await loadOrders()).rows;
      await client.query('commit');
      return rows.length;
    }).toBe(1);
    expect(result).toBe(3);
  });

  test('fails with the list of statements when the count differs', async () => {
    const failure = await expectQueries(async () => {
      await loadOrders();
      await loadOrders();
    })
      .toBe(1)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueryCountError);
    expect((failure as Error).message).toMatch(
      /Expected exactly 1 queries, but 2 ran:\n {2}1\. select \* from orders/,
    );
  });

  test('counts the statements of a builder returned without await', async () => {
    const failure = await expectQueries(() => lazyQuery('select 1 as one'))
      .toBe(0)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QueryCountError);
    expect((failure as Error).message).toMatch(
      /Expected exactly 0 queries, but 1 ran:\n {2}1\. select 1 as one/,
    );
    const result = await expectQueries(() => lazyQuery('select 1 as one')).toBe(1);
    expect(result.rows).toEqual([{ one: 1 }]);
  });

  test('toBeAtMost allows fewer', async () => {
    await expect(expectQueries(() => loadOrders()).toBeAtMost(2)).resolves.toBeDefined();
  });
});

describe('the N+1 detector', () => {
  const ordersWithCustomersOneByOne = async () => {
    const { rows: orders } = await client.query(
      'select id, customer_id from orders where id <= 10 order by id',
    );
    for (const order of orders) {
      await client.query('select email from customers where id = $1', [order.customer_id]);
    }
  };
  const ordersWithCustomersBatched = async () => {
    const { rows: orders } = await client.query(
      'select id, customer_id from orders where id <= 10 order by id',
    );
    await client.query('select id, email from customers where id = any($1)', [
      orders.map((o) => o.customer_id),
    ]);
  };

  test('fails when one read shape runs once per row', async () => {
    const failure = await assertNoNPlusOne(ordersWithCustomersOneByOne).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NPlusOneQueryError);
    const [repeated] = (failure as NPlusOneQueryError).repeated;
    expect(repeated?.count).toBe(10);
    expect(repeated?.example).toBe('select email from customers where id = $1');
  });

  test('passes the batched version', async () => {
    await expect(assertNoNPlusOne(ordersWithCustomersBatched)).resolves.toBeUndefined();
  });

  test('constants that differ still count as the same shape; writes are not reads', async () => {
    const { queries } = await captureQueries(async () => {
      for (const id of [1, 2, 3, 4]) await client.query(`select email from customers where id = ${id}`);
      for (const id of [1, 2, 3, 4]) await client.query('update orders set note = note where id = $1', [id]);
    });
    const repeated = await findRepeatedQueries(queries, { threshold: 3 });
    expect(repeated.map((r) => r.count)).toEqual([4]);
  });
});

describe('the missing-index detector', () => {
  test('reports a filter no index can serve, even on a tiny table', async () => {
    const { queries } = await captureQueries(() =>
      client.query('select id from customers where region = $1', ['r1']),
    );
    const missing = await findMissingIndexes(client, queries);
    expect(missing).toEqual([
      expect.objectContaining({
        schema: 'public',
        table: 'customers',
        filter: expect.stringContaining('region'),
        scan: 'Seq Scan',
        columns: ['region'],
      }),
    ]);
    expect(new MissingIndexError(missing).message).toMatch(/public\.customers: Seq Scan filtering .*region/);
  });

  test('reports a filter the planner applies while walking another index, naming the column', async () => {
    // ORDER BY id makes a walk of the primary key cheaper than a sort once sequential scans
    // are priced out: `Index Scan using customers_pkey … Filter: (region = $1)`, no Index Cond.
    const { queries } = await captureQueries(() =>
      client.query('select id from customers where region = $1 order by id', ['r1']),
    );
    const missing = await findMissingIndexes(client, queries);
    expect(missing).toEqual([
      expect.objectContaining({
        table: 'customers',
        columns: ['region'],
        scan: 'Index Scan using customers_pkey',
      }),
    ]);
    expect(new MissingIndexError(missing).message).toMatch(
      /customers: Index Scan using customers_pkey filtering .*region.* — no index leads with region\n/,
    );
  });

  test('a filter no index can serve although its column has one is reported without columns', async () => {
    const { queries } = await captureQueries(() =>
      client.query('select id from customers where lower(email) = $1', ['c1@example.com']),
    );
    expect(await findMissingIndexes(client, queries)).toEqual([
      expect.objectContaining({ table: 'customers', scan: 'Seq Scan', columns: [] }),
    ]);
  });

  test('a filter on rows an index condition already narrowed is not a whole-table scan', async () => {
    const { queries } = await captureQueries(async () => {
      await client.query('select id from customers where id = $1 and region = $2', [3, 'r0']);
      await client.query('select id from orders where customer_id = $1 and note = $2', [2, 'n1']);
    });
    expect(await findMissingIndexes(client, queries)).toEqual([]);
    // …unless asked: then the filters on unindexed columns are reported wherever they are.
    const narrowed = await findMissingIndexes(client, queries, { narrowedScans: true });
    expect(narrowed.map((m) => [m.table, m.columns])).toEqual([
      ['customers', ['region']],
      ['orders', ['note']],
    ]);
  });

  test('passes filters an index serves, for reads, updates and deletes', async () => {
    const { queries } = await captureQueries(async () => {
      await client.query('select * from customers where email = $1', ['c1@example.com']);
      await client.query('select * from orders where customer_id = $1', [2]);
      await client.query('update orders set note = $2 where id = $1', [5, 'x']);
      await client.query('begin');
      await client.query('delete from orders where id = $1', [6]);
      await client.query('rollback');
    });
    expect(await findMissingIndexes(client, queries)).toEqual([]);
  });

  test('explains without executing, and leaves an open transaction intact', async () => {
    await client.query('begin');
    try {
      await client.query('insert into customers values (999, $1, $2)', ['kept@example.com', 'r9']);
      const deleteAll = { text: 'delete from customers where region = $1', values: ['r0'], name: undefined };
      const missing = await findMissingIndexes(client, [deleteAll]);
      expect(missing.map((m) => m.table)).toEqual(['customers']);
      // Nothing was deleted and the caller's uncommitted insert is still there.
      const { rows } = await client.query('select count(*)::int as n from customers');
      expect(rows[0]?.n).toBe(21);
    } finally {
      await client.query('rollback');
    }
  });

  test('ignoreTables leaves chosen tables out', async () => {
    const { queries } = await captureQueries(() =>
      client.query('select id from customers where region = $1', ['r1']),
    );
    expect(await findMissingIndexes(client, queries, { ignoreTables: ['customers'] })).toEqual([]);
  });
});
