import { ConnectionError, DatabaseError, mapDatabaseError, StrataError } from '@strata/errors';

/** What a failed operation's span says about the error. */
export interface ErrorDescription {
  /** `error.type`: the SQLSTATE, else the Strata error code, else the error's class name, else `_OTHER`. */
  readonly type: string;
  /** `db.response.status_code`: the SQLSTATE PostgreSQL answered with, when it answered with one. */
  readonly statusCode: string | undefined;
  /** The span status description: the Strata code or class name, never a message (messages may quote values). */
  readonly statusMessage: string;
}

// A ConnectionError's reason is a SQLSTATE (classes 08, 53, 57) or a socket errno (EPIPE, ...).
const SQLSTATE = /^[0-9]{2}[0-9A-Z]{3}$/;

/**
 * Describes an error for a span. Driver errors are mapped by `@strata/errors` first, so a
 * `pg` error, a Knex error and a Strata error with the same SQLSTATE read the same. For a
 * database error `error.type` is its SQLSTATE, as the conventions ask for PostgreSQL; errors
 * without one (pool timeouts, connection failures before any answer) use their stable code.
 */
export function describeError(error: unknown): ErrorDescription {
  const mapped = mapDatabaseError(error);
  if (mapped instanceof DatabaseError) {
    return { type: mapped.sqlState, statusCode: mapped.sqlState, statusMessage: mapped.code };
  }
  if (mapped instanceof ConnectionError) {
    const statusCode =
      mapped.reason !== undefined && SQLSTATE.test(mapped.reason) ? mapped.reason : undefined;
    return { type: statusCode ?? mapped.code, statusCode, statusMessage: mapped.code };
  }
  if (mapped instanceof StrataError)
    return { type: mapped.code, statusCode: undefined, statusMessage: mapped.code };
  if (mapped instanceof Error) {
    const name = mapped.constructor?.name || mapped.name || 'Error';
    return { type: name, statusCode: undefined, statusMessage: name };
  }
  return { type: '_OTHER', statusCode: undefined, statusMessage: '_OTHER' };
}
