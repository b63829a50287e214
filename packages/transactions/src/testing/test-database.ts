import { randomBytes } from 'node:crypto';
import type {} from '@strata/local-postgres/vitest-global-setup';
import { createPool, type Pool, type PoolConfigInput } from '@strata/pool';
import pg from 'pg';
import { inject } from 'vitest';

/** The shared test server's URL (started by @strata/local-postgres' global setup). */
export function serverUrl(): string {
  const url = inject('strataDatabaseUrl') ?? process.env.STRATA_TEST_DATABASE_URL;
  if (!url) throw new Error('No test database: run through vitest with @strata/local-postgres global setup');
  return url;
}

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

/** Creates `tx_<label>_<random>` and returns its handle; call `drop()` in afterAll. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `tx_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  const pools: Pool[] = [];
  const clients: pg.Client[] = [];
  return {
    url: url.toString(),
    name,
    pool(config = {}) {
      const pool = createPool(
        { connectionString: url.toString(), min: 0, max: 10, applicationName: name, ...config },
        { environment: {} },
      );
      pools.push(pool);
      return pool;
    },
    async client() {
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      clients.push(client);
      return client;
    },
    async drop() {
      await Promise.all(pools.map((pool) => pool.close({ timeoutMs: 1_000 }).catch(() => {})));
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
      const dropper = new pg.Client({ connectionString: serverUrl() });
      await dropper.connect();
      try {
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
