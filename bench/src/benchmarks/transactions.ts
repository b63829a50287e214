import { createPool, type Pool } from '@strata/pool';
import { withTransaction } from '@strata/transactions';
import pg from 'pg';
import type { Benchmark } from '../benchmark.js';
import { runClosedLoop } from '../closed-loop.js';

const CONCURRENCY = 16;
const DURATION_MS = 2_000;
const WARMUP_MS = 300;

const INSERT_ORDER = 'INSERT INTO orders (customer_id) VALUES ($1) RETURNING id';
const INSERT_ITEMS =
  'INSERT INTO order_items (order_id, sku, quantity) VALUES ($1, $2, $3), ($1, $4, $5), ($1, $6, $7)';
const itemsOf = (orderId: unknown, index: number) => [
  orderId,
  `sku-${index % 97}`,
  1,
  `sku-${index % 89}`,
  2,
  'gift-wrap',
  1,
];

interface State {
  strata: Pool;
  bare: pg.Pool;
}

type Operation = (state: State, index: number) => Promise<unknown>;

/**
 * BEGIN; INSERT an order; INSERT its 3 items; COMMIT, from 16 callers, against the same
 * transaction written by hand on a bare `pg.Pool` client. The baseline uses named prepared
 * statements like the Strata pool's raw path, so ratios show the cost of the Strata layers,
 * not a protocol difference.
 */
function versusHandWritten(
  id: string,
  subject: string,
  database: string,
  operation: Operation,
): Benchmark<State> {
  return {
    id,
    subject: `${subject} (c${CONCURRENCY})`,
    baseline: `hand-written transaction on a bare pg.Pool client, prepared statements (c${CONCURRENCY})`,
    unit: 'tx/s',
    higherIsBetter: true,
    rounds: 5,
    async setup(context) {
      const url = await context.createDatabase(database);
      const bare = new pg.Pool({ connectionString: url, max: CONCURRENCY });
      await bare.query(
        'CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
      );
      await bare.query(
        'CREATE TABLE order_items (order_id bigint NOT NULL REFERENCES orders, sku text NOT NULL, quantity int NOT NULL)',
      );
      await bare.query('CREATE INDEX ON order_items (order_id)');
      const strata = createPool(
        { connectionString: url, max: CONCURRENCY, min: CONCURRENCY, applicationName: database },
        { environment: {} },
      );
      await strata.ready();
      return { strata, bare };
    },
    runSubject: (state) =>
      runClosedLoop({
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
        warmupMs: WARMUP_MS,
        operation: (index) => operation(state, index),
      }),
    runBaseline: ({ bare }) =>
      runClosedLoop({
        concurrency: CONCURRENCY,
        durationMs: DURATION_MS,
        warmupMs: WARMUP_MS,
        async operation(index) {
          const client = await bare.connect();
          let broken = false;
          try {
            await client.query('BEGIN');
            const order = await client.query<{ id: string }>({
              name: 'bench_insert_order',
              text: INSERT_ORDER,
              values: [index % 1_000],
            });
            await client.query({
              name: 'bench_insert_items',
              text: INSERT_ITEMS,
              values: itemsOf(order.rows[0]?.id, index),
            });
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK').catch(() => {
              broken = true;
            });
            throw error;
          } finally {
            client.release(broken);
          }
        },
      }),
    async teardown({ strata, bare }) {
      await strata.close();
      await bare.end();
    },
  };
}

/** The target: withTransaction (retry loop, hooks, ambient context, long-transaction watch) on a Strata pool. */
const withTransactionBenchmark = versusHandWritten(
  'tx.order-with-items.c16',
  'withTransaction on a Strata pool',
  'bench_tx_with_transaction',
  ({ strata }, index) =>
    withTransaction(strata, async (tx) => {
      const order = await tx.query<{ id: string }>(INSERT_ORDER, [index % 1_000]);
      await tx.query(INSERT_ITEMS, itemsOf(order.rows[0]?.id, index));
    }),
);

/**
 * For reading the target's ratio: the same hand-written transaction on a Strata pool client,
 * i.e. the pool's share of the cost without withTransaction.
 */
const strataClientBenchmark = versusHandWritten(
  'tx.order-with-items.strata-client.c16',
  'hand-written transaction on a Strata pool client',
  'bench_tx_strata_client',
  async ({ strata }, index) => {
    const client = await strata.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const order = await client.query<{ id: string }>(INSERT_ORDER, [index % 1_000]);
      await client.query(INSERT_ITEMS, itemsOf(order.rows[0]?.id, index));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  },
);

export const benchmarks: Benchmark[] = [
  withTransactionBenchmark as Benchmark,
  strataClientBenchmark as Benchmark,
];
