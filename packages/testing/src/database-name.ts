import { quoteIdentifier, StrataError } from '@strata/errors';

/**
 * The names the harness gives or accepts for its databases: lower-case letters, digits and
 * underscores, at most 63. A policy, not a quoting rule: such a name reads the same quoted or
 * not, in SQL, in URLs and in `pg_database`.
 */
export const DATABASE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a database name against `DATABASE_NAME_PATTERN` and returns it. */
export function assertDatabaseName(name: string): string {
  if (!DATABASE_NAME_PATTERN.test(name)) {
    throw new StrataError(
      'INVALID_DATABASE_NAME',
      `Invalid test database name "${name}": use lower-case letters, digits and underscores (at most 63), starting with a letter or underscore.`,
    );
  }
  return name;
}

/**
 * A database name for `CREATE`/`DROP`/`ALTER DATABASE` (identifiers cannot be bound as
 * parameters): checked by `assertDatabaseName`, then quoted by @strata/errors.
 */
export function quoteDatabaseName(name: string): string {
  return quoteIdentifier(assertDatabaseName(name));
}
