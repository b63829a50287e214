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
  /** A statement hit lock_timeout; the migration (or, outside a transaction, the statement) runs again after `delayMs`. */
  | { type: 'lock-timeout-retry'; name: string; attempt: number; delayMs: number; line: number | undefined }
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
