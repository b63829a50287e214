import { DatabaseError } from '@strata/errors';
import { databaseUrl } from '@strata/local-postgres/test-database';
import { createPool, type Pool, type PoolConfigInput } from '@strata/pool';
import { assertDatabaseName } from './database-name.js';
import { cloneTemplate } from './run-databases.js';
import { withServerErrors } from './server-errors.js';

export interface OpenWorkerDatabaseOptions {
  /** A URL of the test server (any database on it), with the rights to create databases. */
  serverUrl: string;
  /** The migrated template, cloned when the worker's database does not exist yet. */
  template: string;
  /** The worker's database, e.g. `strata_test_<run>_w<VITEST_POOL_ID>`. */
  name: string;
  /** The pool's options (see @strata/pool), e.g. `{ max: 5 }`; the connection is the worker's database. */
  pool?: Omit<PoolConfigInput, 'connectionString'> | Record<string, unknown>;
}

/** A worker's database with a pool on it. */
export interface WorkerDatabase {
  readonly name: string;
  readonly connectionString: string;
  /** A ready `@strata/pool` pool on the database (one connection already open). */
  readonly pool: Pool;
  /** Closes the pool; the database stays for the worker's next test file. */
  close(): Promise<void>;
}

async function readyPool(options: OpenWorkerDatabaseOptions, connectionString: string): Promise<Pool> {
  const pool = createPool({ ...options.pool, connectionString });
  try {
    await pool.ready();
    return pool;
  } catch (error) {
    await pool.close({ timeoutMs: 0 });
    throw error;
  }
}

/**
 * Opens one test worker's database: a pool on it, with its first connection open. The database
 * is normally cloned by the global setup; one missing (a worker the setup did not expect) is
 * cloned from the template here, once — so a name that is the same for every test file on a
 * worker gives that worker one database for all its files, each test rolling back.
 */
export async function openWorkerDatabase(options: OpenWorkerDatabaseOptions): Promise<WorkerDatabase> {
  const name = assertDatabaseName(options.name);
  const connectionString = databaseUrl(options.serverUrl, name);
  const pool = await withServerErrors(options.serverUrl, async () => {
    try {
      return await readyPool(options, connectionString);
    } catch (error) {
      // 3D000: invalid_catalog_name, the database does not exist yet.
      if (!(error instanceof DatabaseError && error.sqlState === '3D000')) throw error;
      await cloneTemplate(
        { serverUrl: options.serverUrl, template: options.template, name },
        { ifMissing: true },
      );
      return readyPool(options, connectionString);
    }
  });
  return { name, connectionString, pool, close: () => pool.close({ timeoutMs: 2_000 }) };
}
