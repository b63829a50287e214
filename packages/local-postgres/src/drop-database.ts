import { quoteIdentifier } from '@strata/errors';
import type pg from 'pg';
import { withAdminConnection } from './admin-connection.js';
import { testServerUrl } from './test-server-url.js';

/** `server_version_num` of the first release whose `DROP DATABASE` takes `WITH (FORCE)`. */
const FORCE_SINCE = 130_000;

/**
 * Drops the database `name` from the server of `serverUrl` (the test server by default),
 * ending any session still connected to it: `DROP DATABASE … WITH (FORCE)` from PostgreSQL 13,
 * on older servers by terminating those sessions first. A template database is made an
 * ordinary one first, as PostgreSQL refuses to drop a template. A database that does not exist
 * is no error, so a cleanup may run twice.
 */
export async function dropDatabase(name: string, serverUrl: string = testServerUrl()): Promise<void> {
  await withAdminConnection(async (admin) => {
    const { rows } = await admin.query<{ version: string }>(
      "select current_setting('server_version_num') as version",
    );
    await dropDatabaseOn(admin, name, { force: Number(rows[0]?.version) >= FORCE_SINCE });
  }, serverUrl);
}

/** `dropDatabase` on an open admin connection; `force` says whether the server has `WITH (FORCE)`. */
export async function dropDatabaseOn(
  admin: pg.Client,
  name: string,
  options: { force: boolean },
): Promise<void> {
  const { rows } = await admin.query<{ datistemplate: boolean }>(
    'select datistemplate from pg_database where datname = $1',
    [name],
  );
  if (rows.length === 0) return;
  const database = quoteIdentifier(name);
  if (rows[0]?.datistemplate) await admin.query(`alter database ${database} with is_template false`);
  if (options.force) {
    await admin.query(`drop database if exists ${database} with (force)`);
    return;
  }
  // DROP DATABASE waits a few seconds for terminated sessions to exit.
  await admin.query(
    'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [name],
  );
  await admin.query(`drop database if exists ${database}`);
}
