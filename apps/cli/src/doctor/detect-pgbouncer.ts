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
  /** Its `max_prepared_statements` (PgBouncer 1.21+), when the admin console answered `SHOW CONFIG`. */
  maxPreparedStatements: number | null;
  evidence: string[];
}

/**
 * Looks for PgBouncer in front of the server with two checks that do not depend on
 * configuration tricks:
 *
 * 1. The admin console. PgBouncer answers the database name `pgbouncer` itself: it runs
 *    `SHOW VERSION` for admin and stats users, and refuses other users with its own error.
 *    PostgreSQL instead reports that database `pgbouncer` does not exist (SQLSTATE 3D000).
 * 2. Backend identity (`poolingMode`): a connection's backend pid never changes on
 *    PostgreSQL or behind a session-mode pooler; behind transaction pooling it does.
 */
export async function detectPgBouncer(
  client: SqlClient,
  connectionString: string,
): Promise<PgBouncerDetection> {
  const evidence: string[] = [];
  let detected: boolean | null = null;
  let version: string | null = null;
  let maxPreparedStatements: number | null = null;

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
        maxPreparedStatements = await readMaxPreparedStatements(admin);
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
      const causeMessage = typeof cause?.message === 'string' ? cause.message : '';
      const full = message.includes(causeMessage) ? message : `${message} ${causeMessage}`;
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

  const pooling = await poolingMode(client, connectionString);
  if (pooling === 'transaction') {
    detected = true;
    evidence.push(
      'transaction pooling: after another connection took its server backend, this connection ran on a different one',
    );
  } else {
    evidence.push('this connection kept its server backend across transactions');
  }
  return { detected, pooling, version, maxPreparedStatements, evidence };
}

/** `max_prepared_statements` from the admin console's SHOW CONFIG; null before PgBouncer 1.21 or when refused. */
async function readMaxPreparedStatements(admin: SqlClient): Promise<number | null> {
  try {
    const { rows } = await admin.query<{ key: string; value: string }>('show config');
    const setting = rows.find((row) => row.key === 'max_prepared_statements');
    return setting === undefined ? null : Number(setting.value);
  } catch {
    return null;
  }
}

/**
 * Detects transaction (or statement) pooling, whatever the pooler: connection A reads its
 * backend pid; connection B opens a transaction and so holds a server backend (a pooler
 * hands it the one A just released); A reads its pid again. On PostgreSQL, or behind session
 * pooling, A's pid is the same both times; behind transaction pooling it moved.
 */
async function poolingMode(
  a: SqlClient,
  connectionString: string,
): Promise<'transaction' | 'session-or-none'> {
  const pid = async (client: SqlClient): Promise<number> =>
    Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid);
  const first = await pid(a);
  const b = await connect(connectionString, 'strata-doctor', { connectTimeoutMs: 5_000 });
  try {
    await b.query('begin');
    await pid(b);
    const second = await pid(a);
    await b.query('rollback');
    return first === second ? 'session-or-none' : 'transaction';
  } finally {
    await b.end();
  }
}
