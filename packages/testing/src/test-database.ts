import { createTestDatabase as createServerDatabase } from '@strata/local-postgres/test-database';
import { assertDatabaseName } from './database-name.js';

export interface CreateTestDatabaseOptions {
  /** A URL of the server (any database on it). */
  serverUrl: string;
  /** Clone this template (made by `createTemplateDatabase`); an empty database when omitted. */
  template?: string | undefined;
  /** The new database's name; `strata_test_<random>` when omitted. */
  name?: string | undefined;
}

/** A database of one's own on the test server. */
export interface TestDatabase {
  readonly name: string;
  readonly connectionString: string;
  /** Drops the database, ending any session still connected to it. */
  drop(): Promise<void>;
}

/**
 * Creates a database for one test worker, cloned from the migrated template so that no
 * migration runs per worker. Parallel workers each get their own and never see each
 * other's rows.
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions): Promise<TestDatabase> {
  const database = await createServerDatabase({
    serverUrl: options.serverUrl,
    name: options.name === undefined ? undefined : assertDatabaseName(options.name),
    template: options.template === undefined ? undefined : assertDatabaseName(options.template),
  });
  return { name: database.name, connectionString: database.url, drop: () => database.drop() };
}
