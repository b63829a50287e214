import { ConnectionError, mapConnectError, redactSecret, StrataError } from '@strata/errors';

/** Where the pool connects, and the password no message may show. */
export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
  readonly database?: string | undefined;
  readonly password: string | undefined;
}

function messageOf(error: unknown, target: ConnectTarget): string {
  return redactSecret(error instanceof Error ? error.message : String(error), target.password);
}

/**
 * What a failed attempt to open one connection surfaces as: an error the server sent as its
 * typed error — a refusal retrying cannot fix (rejected login, unknown database, a startup
 * parameter PgBouncer refuses) as `ConnectionRejectedError`, so `ready()` fails at once;
 * anything else (refused, timed out, TLS) as a ConnectionError naming the target.
 */
export function connectFailure(error: unknown, target: ConnectTarget): unknown {
  const mapped = mapConnectError(error);
  if (mapped instanceof StrataError) return mapped;
  return new ConnectionError(
    `Could not connect to PostgreSQL at ${target.host}:${target.port}: ${messageOf(error, target)}`,
    { cause: error },
  );
}

/** `ready()` gave up: `wanted` connections could not be opened within `readyTimeout` ms. */
export function readyFailure(
  last: unknown,
  wanted: number,
  readyTimeout: number,
  target: ConnectTarget,
): ConnectionError {
  const where = `${target.host}:${target.port}${target.database ? `/${target.database}` : ''}`;
  return new ConnectionError(
    `The pool could not open ${wanted} connection(s) to PostgreSQL at ${where} within ${readyTimeout} ms. ` +
      `Last error: ${messageOf(last, target)}`,
    { cause: last, reason: last instanceof ConnectionError ? last.reason : undefined },
  );
}
