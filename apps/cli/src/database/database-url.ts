import { quoteIdentifier, redactConnectionString } from '@strata/errors';
import { UsageError } from '../cli-errors.js';

// Database names the CLI creates, drops or clones: letters, digits, `_` and `-`, at most 63
// (ASCII, so bytes too). A policy on top of quoting: anything else is refused.
const DATABASE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,62}$/;

/** The database a URL points at. Throws `UsageError` when it has none or one the CLI will not handle. */
export function databaseNameOf(connectionString: string): string {
  const url = new URL(connectionString);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (name === '') {
    throw new UsageError(
      `The database URL ${redactConnectionString(connectionString)} names no database; add one, e.g. postgres://user@host:5432/app.`,
    );
  }
  if (!DATABASE_NAME.test(name)) {
    throw new UsageError(
      `The database name in ${redactConnectionString(connectionString)} is not allowed here: use letters, digits, "_" and "-" (at most 63 characters).`,
    );
  }
  return name;
}

/** The same server and credentials, another database. */
export function withDatabase(connectionString: string, database: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** The same URL with `application_name` set, so its sessions can be told apart in pg_stat_activity. */
export function withApplicationName(connectionString: string, applicationName: string): string {
  const url = new URL(connectionString);
  url.searchParams.set('application_name', applicationName);
  return url.toString();
}

/** The password in a URL, decoded, for `Output.addSecret`. */
export function passwordOf(connectionString: string): string | undefined {
  try {
    const url = new URL(connectionString);
    const fromQuery = url.searchParams.get('password') ?? undefined;
    return url.password ? decodeURIComponent(url.password) : fromQuery;
  } catch {
    return undefined;
  }
}

/** A database name checked against `databaseNameOf`'s allowlist, quoted by @strata/errors. */
export const quoteDatabaseName = (name: string): string => {
  if (!DATABASE_NAME.test(name)) throw new UsageError(`Refusing the database name "${name}".`);
  return quoteIdentifier(name);
};
