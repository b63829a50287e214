import { StrataError } from '@strata/errors';
import { createTestDatabase, dropDatabase, withAdminConnection } from '@strata/local-postgres/test-database';
import { assertDatabaseName, quoteDatabaseName } from './database-name.js';
import { withServerErrors } from './server-errors.js';

export interface CreateTemplateDatabaseOptions {
  /** A URL of the server (any database on it). */
  serverUrl: string;
  /** The template's name. */
  name: string;
  /** Brings the empty template up to date, e.g. by running the migrator against the URL given. */
  migrate: (connectionString: string) => Promise<void>;
}

// The mark (a database comment) of the templates this harness made: the only ones it re-creates.
const OWN_TEMPLATE = 'strata-testing template';

/** A database of the template's name exists on the server and is not one the harness made. */
export class DatabaseNotOwnedError extends StrataError {
  readonly database: string;

  constructor(database: string) {
    super(
      'DATABASE_NOT_OWNED',
      `A database named "${database}" already exists on the test server and was not created by @strata/testing, which never drops databases it did not create. Choose another template name (templateDatabase) or drop that database yourself.`,
    );
    this.database = database;
  }
}

/**
 * Creates (or re-creates) a template database and migrates it once. The template is then
 * marked `IS_TEMPLATE` and closed to connections, so that cloning it per worker with
 * `CREATE DATABASE … TEMPLATE` never fails on a stray session. A database of that name left by
 * an earlier run is dropped first — only if this harness made it (it marks its templates);
 * any other throws `DatabaseNotOwnedError`.
 */
export async function createTemplateDatabase(options: CreateTemplateDatabaseOptions): Promise<string> {
  const name = assertDatabaseName(options.name);
  const { serverUrl } = options;
  const existing = await withServerErrors(serverUrl, () =>
    withAdminConnection(async (client) => {
      const { rows } = await client.query<{ mark: string | null }>(
        "select shobj_description(oid, 'pg_database') as mark from pg_database where datname = $1",
        [name],
      );
      return rows[0];
    }, serverUrl),
  );
  if (existing && existing.mark !== OWN_TEMPLATE) throw new DatabaseNotOwnedError(name);
  const { url } = await withServerErrors(serverUrl, async () => {
    if (existing) await dropDatabase(name, serverUrl);
    const created = await createTestDatabase({ serverUrl, name });
    await withAdminConnection(
      (client) => client.query(`comment on database ${quoteDatabaseName(name)} is '${OWN_TEMPLATE}'`),
      serverUrl,
    );
    return created;
  });
  await options.migrate(url);
  await withServerErrors(serverUrl, () =>
    withAdminConnection(async (client) => {
      await client.query(
        `alter database ${quoteDatabaseName(name)} with is_template true allow_connections false`,
      );
      // Sessions the migration left open would block every clone.
      await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
    }, serverUrl),
  );
  return url;
}
