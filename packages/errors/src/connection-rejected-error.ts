import { DatabaseError, type PostgresErrorFields } from './database-error.js';

/** Why the server (or a pooler in front of it) refused a new connection for good. */
export type ConnectionRejection =
  | 'authentication-failed'
  | 'unknown-database'
  | 'unsupported-startup-parameter';

const ADVICE: Record<ConnectionRejection, (parameter: string | undefined) => string> = {
  'authentication-failed': () =>
    'The login was rejected. Check the user and password (and pg_hba.conf, or PgBouncer’s auth_file); retrying will not help.',
  'unknown-database': () =>
    'The database does not exist. Create it (strata db create) or fix the database name in the URL.',
  'unsupported-startup-parameter': (parameter) =>
    `A connection pooler (PgBouncer) refused the startup parameter "${parameter ?? '?'}". ` +
    "Leave the pool's pgbouncer setting at 'auto' (or set 'transaction' or 'session') so session settings are applied by the pool, " +
    'set them per role instead (ALTER ROLE … SET), or list the parameter in PgBouncer’s ignore_startup_parameters.',
};

/**
 * Opening a connection failed in a way retrying cannot fix: the login was rejected (28P01,
 * 28000), the database does not exist (3D000), or a pooler refused a startup parameter
 * (08P01). PgBouncer reports all of these as 08P01; `reason` says which it was either way.
 */
export class ConnectionRejectedError extends DatabaseError {
  readonly reason: ConnectionRejection;
  /** The refused startup parameter, for `unsupported-startup-parameter`. */
  readonly parameter: string | undefined;

  constructor(
    reason: ConnectionRejection,
    fields: PostgresErrorFields,
    options: { cause?: unknown; parameter?: string | undefined } = {},
  ) {
    super(
      'CONNECTION_REJECTED',
      `${ADVICE[reason](options.parameter)} (SQLSTATE ${fields.sqlState}: ${fields.serverMessage})`,
      fields,
      options,
    );
    this.reason = reason;
    this.parameter = options.parameter;
  }
}
