import { withAdminConnection } from './admin-connection.js';
import { assertDatabaseName, quoteDatabaseName } from './database-name.js';
import { databaseUrl } from './database-url.js';

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
  const quoted = quoteDatabaseName(name);
  await withAdminConnection(options.serverUrl, async (client) => {
    await client.query(`alter database ${quoted} with is_template false`).catch(() => undefined);
    await client.query(`drop database if exists ${quoted} with (force)`);
    await client.query(`create database ${quoted}`);
  });
  const connectionString = databaseUrl(options.serverUrl, name);
  await options.migrate(connectionString);
  await withAdminConnection(options.serverUrl, async (client) => {
    await client.query(`alter database ${quoted} with is_template true allow_connections false`);
    // Sessions the migration left open would block every clone.
    await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
  });
  return connectionString;
}
