import { createTestDatabase as createServerDatabase } from '@strata/local-postgres/test-database';
import { createPool, type Pool, type PoolConfigInput } from '@strata/pool';
import pg from 'pg';

/** A database of its own for one test file, on the shared server. */
export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  /** A Strata pool on the database; closed by `drop()`. */
  pool(config?: PoolConfigInput): Pool;
  /** A plain pg client outside any pool (for observing or interfering). */
  client(): Promise<pg.Client>;
  drop(): Promise<void>;
}

/** Creates `strata_test_tx_<label>_<random>` and returns its handle; call `drop()` in afterAll. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const database = await createServerDatabase({ prefix: `tx_${label}` });
  const { name, url } = database;
  const pools: Pool[] = [];
  const clients: pg.Client[] = [];
  return {
    url,
    name,
    pool(config = {}) {
      const pool = createPool(
        { connectionString: url, min: 0, max: 10, applicationName: name, ...config },
        { environment: {} },
      );
      pools.push(pool);
      return pool;
    },
    async client() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      clients.push(client);
      return client;
    },
    async drop() {
      await Promise.all(pools.map((pool) => pool.close({ timeoutMs: 1_000 }).catch(() => {})));
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
      await database.drop();
    },
  };
}
