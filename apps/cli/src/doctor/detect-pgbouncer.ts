import { DatabaseError } from '@strata/errors';
import { connect, type SqlClient } from '../database/connect.js';
import { withDatabase } from '../database/database-url.js';

/** Whether a PgBouncer sits between the CLI and PostgreSQL, and what showed it. */
export interface PgBouncerDetection {
  /** `null` when the checks could not tell. */
  detected: boolean | null;
  /** `transaction` when consecutive transactions on one connection ran on different server backends. */
  pooling: 'transaction' | 'session-or-none' | null;
  /** PgBouncer's version, when its admin console answered `SHOW VERSION`. */
  version: string | null;
  evidence: string[];
}

/**
 * Looks for PgBouncer in front of the server with two checks that do not depend on
 * configuration tricks:
 *
 * 1. The admin console. PgBouncer answers the database name `pgbouncer` itself: it runs
 *    `SHOW VERSION` for admin and stats users, and refuses other users with its own error.
 *    PostgreSQL instead reports that database `pgbouncer` does not exist (SQLSTATE 3D000).
 * 2. Backend identity. Five consecutive `select pg_backend_pid()` on one client connection
 *    return one pid from PostgreSQL (or a session-mode pooler); different pids prove
 *    transaction (or statement) pooling, whatever the pooler is.
 */
export async function detectPgBouncer(
  client: SqlClient,
  connectionString: string,
): Promise<PgBouncerDetection> {
  const evidence: string[] = [];
  let detected: boolean | null = null;
  let version: string | null = null;

  let admin: SqlClient | undefined;
  try {
    admin = await connect(withDatabase(connectionString, 'pgbouncer'), 'strata-doctor', {
      connectTimeoutMs: 5_000,
    });
    try {
      const { rows } = await admin.query('show version');
      const text = Object.values(rows[0] ?? {}).join(' ');
      if (/pgbouncer/i.test(text)) {
        detected = true;
        version = text.trim();
        evidence.push(`the admin console answered SHOW VERSION: ${version}`);
      } else {
        detected = false;
        evidence.push('database "pgbouncer" is an ordinary PostgreSQL database');
      }
    } catch (error) {
      detected = false;
      evidence.push(
        error instanceof DatabaseError && error.sqlState === '42704'
          ? 'database "pgbouncer" is an ordinary PostgreSQL database (SHOW VERSION is unknown there)'
          : `database "pgbouncer" did not answer SHOW VERSION (${(error as Error).message})`,
      );
    }
  } catch (error) {
    if (error instanceof DatabaseError && error.sqlState === '3D000') {
      detected = false;
      evidence.push('PostgreSQL itself answered: database "pgbouncer" does not exist');
    } else {
      const message = error instanceof Error ? error.message : String(error);
      const cause = (error as { cause?: { message?: unknown } }).cause;
      const full = `${message} ${typeof cause?.message === 'string' ? cause.message : ''}`;
      if (/pgbouncer|not allowed|no such database/i.test(full)) {
        detected = true;
        evidence.push(
          `the "pgbouncer" admin console refused this user the way PgBouncer does (${full.trim()})`,
        );
      } else {
        evidence.push(`the admin-console check was inconclusive (${full.trim()})`);
      }
    }
  } finally {
    await admin?.end();
  }

  const pids = new Set<number>();
  for (let attempt = 0; attempt < 5; attempt++) {
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    pids.add(Number(rows[0]?.pid));
  }
  const pooling = pids.size > 1 ? 'transaction' : 'session-or-none';
  if (pids.size > 1) {
    detected = true;
    evidence.push(`consecutive transactions on one connection ran on ${pids.size} different server backends`);
  } else {
    evidence.push('consecutive transactions on one connection ran on the same server backend');
  }
  return { detected, pooling, version, evidence };
}
