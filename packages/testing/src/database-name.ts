import { StrataError } from '@strata/errors';

const SAFE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Checks a database name before it is spliced into `CREATE DATABASE` (identifiers cannot be
 * bound as parameters): lower-case letters, digits and underscores, at most 63 characters.
 */
export function assertDatabaseName(name: string): string {
  if (!SAFE_NAME.test(name)) {
    throw new StrataError(
      'INVALID_DATABASE_NAME',
      `Invalid test database name "${name}": use lower-case letters, digits and underscores (at most 63), starting with a letter or underscore.`,
    );
  }
  return name;
}
