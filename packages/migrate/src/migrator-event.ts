import type { BlockingSession } from './blocking-sessions.js';
import type { MigrationPhase } from './migration-phase.js';

/**
 * Progress the migrator reports through the `onEvent` option, for logs and CLIs. Events are
 * informational: a listener that throws does not stop the run.
 */
export type MigratorEvent =
  /** Another migrator holds the migration lock; this one waits up to `lockWaitTimeout`. */
  | { type: 'lock-wait'; holderPid: number | undefined; holderApplication: string | undefined }
  | { type: 'lock-acquired'; waitedMs: number }
  | { type: 'migration-start'; name: string; phase: MigrationPhase; transactional: boolean }
  | { type: 'migration-done'; name: string; durationMs: number }
  /**
   * Other sessions hold (or wait for) locks that conflict with the ones the migration needs,
   * in transactions older than its first lock_timeout: it waits for them instead of queueing
   * (which would stall every reader and writer behind it). Sent when a blocker not yet named
   * during this wait appears, with all the current ones.
   */
  | { type: 'lock-blocked'; name: string; waitedMs: number; blockers: BlockingSession[] }
  /**
   * A statement hit lock_timeout; the migration (or, outside a transaction, the statement)
   * runs again after `delayMs`, with lock_timeout `lockTimeoutMs`.
   */
  | {
      type: 'lock-timeout-retry';
      name: string;
      attempt: number;
      delayMs: number;
      lockTimeoutMs: number;
      line: number | undefined;
    }
  /** An INVALID index left by a failed CREATE INDEX CONCURRENTLY was dropped before rebuilding it. */
  | { type: 'invalid-index-dropped'; name: string; index: string }
  /** A linter warning (or, with `lintCatalog`, a note) in a pending migration; errors stop the run instead. */
  | {
      type: 'lint-warning';
      file: string;
      line: number;
      ruleId: string;
      message: string;
      severity?: 'warning' | 'note' | undefined;
    }
  /**
   * The evidence check could not gather evidence (pg_stat_statements missing, no snapshot at a
   * deploy mark, ...): reported once per run; contracts then pass on the deploy gate alone.
   */
  | { type: 'evidence-unavailable'; reason: string }
  | { type: 'rollback-start'; name: string; phase: MigrationPhase }
  | { type: 'rollback-done'; name: string; durationMs: number; action: 'down' | 'noop' };
