import { quoteIdentifier } from '@strata/errors';
import type { PgBouncerDetection } from './detect-pgbouncer.js';
import type { ServerFacts } from './server-facts.js';

/** Something `doctor` flags: an `error` fails it (exit 1), a `warning` is advice. */
export interface DoctorProblem {
  /** Stable id, for CI filters. */
  id:
    | 'pool-exceeds-connections'
    | 'pool-near-connections'
    | 'connections-nearly-exhausted'
    | 'no-statement-timeout'
    | 'no-lock-timeout'
    | 'no-idle-in-transaction-timeout'
    | 'pgbouncer-transaction-pooling'
    | 'pgbouncer-setting-mismatch'
    | 'pgbouncer-prepared-statements';
  severity: 'error' | 'warning';
  message: string;
}

/**
 * The application's pool as doctor checks it: `poolMax` connections per instance, `instances`
 * of the application, and the pool settings that matter behind PgBouncer.
 */
export interface PoolSizing {
  poolMax: number;
  instances: number;
  /** The pool's `pgbouncer` setting (default `auto`). */
  pgbouncer?: 'auto' | 'transaction' | 'session' | false;
  /** The pool's `preparedStatements` setting (unset: the pool decides). */
  preparedStatements?: boolean | undefined;
  /** Whether the migrator has a direct URL of its own (`migrationUrl`). */
  migrationUrl?: boolean;
}

/** `[major, minor]` of a version string such as `PgBouncer 1.18.0`, or undefined. */
function versionOf(text: string | null): [number, number] | undefined {
  const match = text === null ? null : /(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/**
 * Named prepared statements through transaction pooling: an error unless PgBouncer is 1.21 or
 * newer with `max_prepared_statements` above 0; a warning when doctor could not read either.
 */
function preparedStatementsProblem(pgbouncer: PgBouncerDetection): DoctorProblem | undefined {
  const version = versionOf(pgbouncer.version);
  const supports = version !== undefined && (version[0] > 1 || (version[0] === 1 && version[1] >= 21));
  const shown = pgbouncer.version ?? 'PgBouncer (version unknown)';
  if (version !== undefined && !supports) {
    return {
      id: 'pgbouncer-prepared-statements',
      severity: 'error',
      message: `The pool will run named prepared statements, but ${shown} in transaction mode cannot keep them (they need PgBouncer 1.21+ with max_prepared_statements > 0): statements fail with "prepared statement … already exists" (42P05). Leave preparedStatements unset (STRATA_POOL_PREPARED_STATEMENTS) and pgbouncer at 'auto'.`,
    };
  }
  if (supports && pgbouncer.maxPreparedStatements !== null && pgbouncer.maxPreparedStatements > 0)
    return undefined;
  return {
    id: 'pgbouncer-prepared-statements',
    severity: supports && pgbouncer.maxPreparedStatements === 0 ? 'error' : 'warning',
    message:
      supports && pgbouncer.maxPreparedStatements === 0
        ? `The pool will run named prepared statements, but ${shown} has max_prepared_statements = 0. Set it above 0 in pgbouncer.ini, or leave preparedStatements unset.`
        : "The pool will run named prepared statements through transaction pooling; doctor could not read PgBouncer's version and max_prepared_statements (its admin console did not answer this user). They need PgBouncer 1.21+ with max_prepared_statements > 0; otherwise leave preparedStatements unset.",
  };
}

/** Where a timeout should be set: per role; behind transaction pooling, not in the pool. */
function timeoutAdvice(
  facts: ServerFacts,
  setting: string,
  example: string,
  transactionPooling: boolean,
): string {
  const role = `ALTER ROLE ${quoteIdentifier(facts.user)} SET ${setting} = '${example}'`;
  return transactionPooling
    ? `Set it per role: ${role}. Behind transaction pooling PgBouncer refuses it as a startup parameter, and the pool's own setting costs extra round trips (SET LOCAL per transaction, BEGIN/COMMIT around single statements).`
    : `Set it per role (${role}) or in the pool.`;
}

/** Connections ordinary roles may open: max_connections less the reserved slots. */
export const availableConnections = (facts: ServerFacts): number =>
  facts.maxConnections - facts.superuserReservedConnections - facts.reservedConnections;

/**
 * Judges the server facts against the application's pool: the pools (poolMax × instances)
 * must fit in the connections ordinary roles may open (error), with room for migrations and
 * admin sessions (warning above 80 %); timeouts left at 0 (off) let a runaway statement, a
 * lock queue or a forgotten transaction hold resources forever (warnings), with advice that
 * fits what is in front (per role behind transaction pooling). Behind transaction pooling, a
 * pool configured for no PgBouncer (or session mode), or one running named prepared statements
 * on PgBouncer before 1.21, is an error; without a direct `migrationUrl`, a warning.
 */
export function doctorProblems(
  facts: ServerFacts,
  pool: PoolSizing,
  pgbouncer: PgBouncerDetection,
): DoctorProblem[] {
  const problems: DoctorProblem[] = [];
  const available = availableConnections(facts);
  const wanted = pool.poolMax * pool.instances;
  const pools =
    pool.instances === 1
      ? `the pool's max (${pool.poolMax})`
      : `${pool.instances} pools of ${pool.poolMax} (${wanted})`;
  // Behind transaction pooling the pooler, not the server, bounds client connections.
  if (pgbouncer.pooling !== 'transaction') {
    if (wanted > available) {
      problems.push({
        id: 'pool-exceeds-connections',
        severity: 'error',
        message: `${pools} exceeds the ${available} connections the server allows ordinary roles (max_connections ${facts.maxConnections} less ${facts.superuserReservedConnections + facts.reservedConnections} reserved). Lower STRATA_POOL_MAX or raise max_connections, or put PgBouncer in front.`,
      });
    } else if (wanted > available * 0.8) {
      problems.push({
        id: 'pool-near-connections',
        severity: 'warning',
        message: `${pools} uses more than 80% of the ${available} available connections, leaving little room for migrations, consoles and a rolling deploy's second set of instances.`,
      });
    }
  }
  if (facts.connectionsInUse > facts.maxConnections * 0.9) {
    problems.push({
      id: 'connections-nearly-exhausted',
      severity: 'warning',
      message: `${facts.connectionsInUse} of ${facts.maxConnections} connections are in use right now.`,
    });
  }
  const transactionPooling = pgbouncer.pooling === 'transaction';
  if (facts.statementTimeoutMs === 0) {
    problems.push({
      id: 'no-statement-timeout',
      severity: 'warning',
      message: `statement_timeout is 0 (off) for this role: a runaway query runs until someone kills it. ${timeoutAdvice(facts, 'statement_timeout', '30s', transactionPooling)}`,
    });
  }
  if (facts.lockTimeoutMs === 0) {
    problems.push({
      id: 'no-lock-timeout',
      severity: 'warning',
      message: `lock_timeout is 0 (off): a statement waiting for a lock waits forever, and everything queued behind it waits too. The migrator sets its own. ${timeoutAdvice(facts, 'lock_timeout', '5s', transactionPooling)}`,
    });
  }
  if (facts.idleInTransactionSessionTimeoutMs === 0) {
    problems.push({
      id: 'no-idle-in-transaction-timeout',
      severity: 'warning',
      message: `idle_in_transaction_session_timeout is 0 (off): a transaction left open by a crashed request holds its locks and blocks vacuum indefinitely. ${timeoutAdvice(facts, 'idle_in_transaction_session_timeout', '60s', transactionPooling)}`,
    });
  }
  if (transactionPooling) {
    const setting = pool.pgbouncer ?? 'auto';
    if (setting === false || setting === 'session') {
      problems.push({
        id: 'pgbouncer-setting-mismatch',
        severity: 'error',
        message: `The pool's pgbouncer setting is ${setting === false ? 'false (no PgBouncer)' : "'session'"}, but transaction pooling is in front: the pool would send session settings as startup parameters (refused), name its statements and allow session features. Set STRATA_POOL_PGBOUNCER to auto or transaction.`,
      });
    }
    const named = pool.preparedStatements ?? (setting === false || setting === 'session');
    const prepared = named ? preparedStatementsProblem(pgbouncer) : undefined;
    if (prepared) problems.push(prepared);
    if (!pool.migrationUrl) {
      problems.push({
        id: 'pgbouncer-transaction-pooling',
        severity: 'warning',
        message:
          "Transaction pooling is in front: the pool adapts (statements unnamed, session settings per transaction, session SET, LISTEN and session advisory locks refused), but the migrator's session lock needs a direct connection. Set STRATA_MIGRATION_DATABASE_URL (migrationUrl) to PostgreSQL itself.",
      });
    }
  }
  return problems;
}
