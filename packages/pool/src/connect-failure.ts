import { ConnectionError, mapConnectError, redactSecret, StrataError } from '@strata/errors';
import { formatHost, type HostAddress } from './multi-host-url.js';

/** Where the pool connects, and the password no message may show. */
export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
  readonly database?: string | undefined;
  readonly password: string | undefined;
  /** How messages name it, when not `host:port` (several hosts). */
  readonly label?: string | undefined;
}

/** A pool's target as its messages name it: the host (or every host) and the database. */
export function connectTarget(
  settings: HostAddress & { database: string | undefined; hosts: readonly HostAddress[] },
  password: string | undefined,
): ConnectTarget {
  const { host, port, database, hosts } = settings;
  const label = hosts.length > 1 ? hosts.map(formatHost).join(',') : undefined;
  return { host, port, database, password, label };
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
  const where = `${target.label ?? `${target.host}:${target.port}`}${target.database ? `/${target.database}` : ''}`;
  return new ConnectionError(
    `The pool could not open ${wanted} connection(s) to PostgreSQL at ${where} within ${readyTimeout} ms. ` +
      `Last error: ${messageOf(last, target)}`,
    { cause: last, reason: last instanceof ConnectionError ? last.reason : undefined },
  );
}
