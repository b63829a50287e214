import type { TargetSessionAttrs } from './multi-host-url.js';
import type { PooledConnection } from './pooled-connection.js';

/** What a server is, as far as `target_session_attrs` cares. */
export interface ServerRole {
  /** In recovery: a hot standby (read replica). */
  readonly standby: boolean;
  /** `default_transaction_read_only` is on: transactions are read-only unless they ask otherwise. */
  readonly readOnly: boolean;
}

/**
 * The role of the server behind `connection`. PostgreSQL 14+ reports both facts when the
 * session starts (ParameterStatus `in_hot_standby`, `default_transaction_read_only`), so this
 * costs nothing; older servers are asked.
 */
export async function roleOf(connection: PooledConnection): Promise<ServerRole> {
  if (connection.inHotStandby !== undefined && connection.defaultReadOnly !== undefined) {
    return { standby: connection.inHotStandby, readOnly: connection.defaultReadOnly };
  }
  const { rows } = await connection.client.query<{ standby: boolean; read_only: boolean }>(
    "SELECT pg_is_in_recovery() AS standby, current_setting('default_transaction_read_only') = 'on' AS read_only",
  );
  const row = rows[0];
  return { standby: row?.standby ?? false, readOnly: row?.read_only ?? false };
}

/**
 * Whether a connection to a server with `role` may serve a pool with `attrs`. For
 * `prefer-standby` any server will do once chosen (the choice itself prefers a standby).
 */
export function serves(attrs: TargetSessionAttrs, role: ServerRole): boolean {
  switch (attrs) {
    case 'read-write':
      return !role.standby && !role.readOnly;
    case 'primary':
      return !role.standby;
    case 'standby':
      return role.standby;
    default:
      return true;
  }
}
