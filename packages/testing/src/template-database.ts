import { createTestDatabase, dropDatabase, withAdminConnection } from '@strata/local-postgres/test-database';
import { assertDatabaseName, quoteDatabaseName } from './database-name.js';

export interface CreateTemplateDatabaseOptions {
  /** A URL of the server (any database on it). */
  serverUrl: string;
  /** The template's name. */
  name: string;
  /** Brings the empty template up to date, e.g. by running the migrator against the URL given. */
  migrate: (connectionString: string) => Promise<void>;
}

/**
 * Creates (or re-creates) a template database and migrates it once. The template is then
 * marked `IS_TEMPLATE` and closed to connections, so that cloning it per worker with
 * `CREATE DATABASE … TEMPLATE` never fails on a stray session.
 */
export async function createTemplateDatabase(options: CreateTemplateDatabaseOptions): Promise<string> {
  const name = assertDatabaseName(options.name);
  await dropDatabase(name, options.serverUrl);
  const { url } = await createTestDatabase({ serverUrl: options.serverUrl, name });
  await options.migrate(url);
  await withAdminConnection(async (client) => {
    await client.query(
      `alter database ${quoteDatabaseName(name)} with is_template true allow_connections false`,
    );
    // Sessions the migration left open would block every clone.
    await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  }, options.serverUrl);
  return url;
}
