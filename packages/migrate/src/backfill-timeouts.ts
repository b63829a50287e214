import { AsyncLocalStorage } from 'node:async_hooks';
import { TIMEOUT_DEFAULTS } from './migrator-config.js';

/** The per-batch timeouts `batchUpdate` uses when its options do not set them, in ms. */
export interface BackfillTimeouts {
  lockTimeout: number;
  statementTimeout: number;
}

const current = new AsyncLocalStorage<BackfillTimeouts>();

/**
 * Runs `work` (a migration's `up`/`down`) with the migrator's `backfillLockTimeout` and
 * `backfillStatementTimeout` as the defaults of every `batchUpdate` it calls, so a
 * migration file need not repeat the migrator's configuration.
 */
export function withBackfillTimeouts<T>(timeouts: BackfillTimeouts, work: () => T): T {
  return current.run(timeouts, work);
}

/** The backfill timeouts of the migration running now, or the package defaults outside one. */
export function backfillTimeouts(): BackfillTimeouts {
  return (
    current.getStore() ?? {
      lockTimeout: TIMEOUT_DEFAULTS.backfillLockTimeout,
      statementTimeout: TIMEOUT_DEFAULTS.backfillStatementTimeout,
    }
  );
}
