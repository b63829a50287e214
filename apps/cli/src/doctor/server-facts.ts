import type { SqlClient } from '../database/connect.js';

/** What `doctor` reads from the server, as this role sees it in this database. */
export interface ServerFacts {
  version: string;
  versionNum: number;
  database: string;
  user: string;
  maxConnections: number;
  superuserReservedConnections: number;
  /** `reserved_connections` (PostgreSQL 16+), else 0. */
  reservedConnections: number;
  /** Client backends connected to the whole server right now. */
  connectionsInUse: number;
  /** Milliseconds; 0 means off. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  idleInTransactionSessionTimeoutMs: number;
}

/** Reads the server version, connection limits and the timeouts a new session of this role gets. */
export async function readServerFacts(client: SqlClient): Promise<ServerFacts> {
  const { rows } = await client.query<{
    version: string;
    version_num: number;
    database: string;
    user: string;
    max_connections: number;
    superuser_reserved: number;
    reserved: number;
    in_use: number;
    statement_timeout: number;
    lock_timeout: number;
    idle_timeout: number;
  }>(
    `select current_setting('server_version') as version,
            current_setting('server_version_num')::int as version_num,
            current_database() as database,
            current_user as "user",
            current_setting('max_connections')::int as max_connections,
            current_setting('superuser_reserved_connections')::int as superuser_reserved,
            coalesce(current_setting('reserved_connections', true), '0')::int as reserved,
            (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as in_use,
            (select setting::bigint from pg_settings where name = 'statement_timeout') as statement_timeout,
            (select setting::bigint from pg_settings where name = 'lock_timeout') as lock_timeout,
            (select setting::bigint from pg_settings where name = 'idle_in_transaction_session_timeout') as idle_timeout`,
  );
  const row = rows[0];
  if (!row) throw new Error('the server returned no row for its settings');
  return {
    version: row.version,
    versionNum: Number(row.version_num),
    database: row.database,
    user: row.user,
    maxConnections: Number(row.max_connections),
    superuserReservedConnections: Number(row.superuser_reserved),
    reservedConnections: Number(row.reserved),
    connectionsInUse: Number(row.in_use),
    statementTimeoutMs: Number(row.statement_timeout),
    lockTimeoutMs: Number(row.lock_timeout),
    idleInTransactionSessionTimeoutMs: Number(row.idle_timeout),
  };
}
