import { randomBytes } from 'node:crypto';
import { withAdminConnection } from './admin-connection.js';
import { assertDatabaseName, quoteDatabaseName } from './database-name.js';
import { databaseUrl } from './database-url.js';

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
  const name = assertDatabaseName(options.name ?? `strata_test_${randomBytes(5).toString('hex')}`);
  const template = options.template === undefined ? undefined : assertDatabaseName(options.template);
  const quoted = quoteDatabaseName(name);
  await withAdminConnection(options.serverUrl, (client) =>
    client.query(
      template
        ? `create database ${quoted} template ${quoteDatabaseName(template)}`
        : `create database ${quoted}`,
    ),
  );
  let dropped = false;
  return {
    name,
    connectionString: databaseUrl(options.serverUrl, name),
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdminConnection(options.serverUrl, (client) =>
        client.query(`drop database if exists ${quoted} with (force)`),
      );
    },
  };
}
