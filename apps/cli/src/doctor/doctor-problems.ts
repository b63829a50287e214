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
    | 'pgbouncer-transaction-pooling';
  severity: 'error' | 'warning';
  message: string;
}

/** The pool sizing doctor checks: `poolMax` connections per instance, `instances` of the application. */
export interface PoolSizing {
  poolMax: number;
  instances: number;
}

/** Connections ordinary roles may open: max_connections less the reserved slots. */
export const availableConnections = (facts: ServerFacts): number =>
  facts.maxConnections - facts.superuserReservedConnections - facts.reservedConnections;

/**
 * Judges the server facts against the application's pool: the pools (poolMax × instances)
 * must fit in the connections ordinary roles may open (error), with room for migrations and
 * admin sessions (warning above 80 %); timeouts left at 0 (off) let a runaway statement, a
 * lock queue or a forgotten transaction hold resources forever (warnings); transaction pooling
 * needs `preparedStatements: false` on PgBouncer before 1.21 (warning).
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
  if (facts.statementTimeoutMs === 0) {
    problems.push({
      id: 'no-statement-timeout',
      severity: 'warning',
      message:
        'statement_timeout is 0 (off) for this role: a runaway query runs until someone kills it. Set one per role (ALTER ROLE ... SET statement_timeout) or in the pool (statementTimeout).',
    });
  }
  if (facts.lockTimeoutMs === 0) {
    problems.push({
      id: 'no-lock-timeout',
      severity: 'warning',
      message:
        'lock_timeout is 0 (off): a statement waiting for a lock waits forever, and everything queued behind it waits too. The migrator sets its own; set one for the application (pool lockTimeout).',
    });
  }
  if (facts.idleInTransactionSessionTimeoutMs === 0) {
    problems.push({
      id: 'no-idle-in-transaction-timeout',
      severity: 'warning',
      message:
        'idle_in_transaction_session_timeout is 0 (off): a transaction left open by a crashed request holds its locks and blocks vacuum indefinitely.',
    });
  }
  if (pgbouncer.pooling === 'transaction') {
    problems.push({
      id: 'pgbouncer-transaction-pooling',
      severity: 'warning',
      message:
        'Transaction pooling is in front: session state (SET, advisory locks, prepared statements before PgBouncer 1.21) does not survive between transactions. Use preparedStatements: false with older PgBouncer, and run migrations against the server directly.',
    });
  }
  return problems;
}
