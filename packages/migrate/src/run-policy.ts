import type { BackfillTimeouts } from './backfill-timeouts.js';
import type { LockWaitPolicy } from './lock-wait.js';
import type { MigratorConfig } from './migrator-config.js';

/** Timeouts and lock-wait policy for running migrations, resolved from the migrator options. */
export interface RunPolicy extends LockWaitPolicy {
  statementTimeout: number;
  indexBuildStatementTimeout: number;
  backfill: BackfillTimeouts;
  appliedBy: string;
}

/** The run policy from the migrator's options. */
export function runPolicyOf(config: MigratorConfig, appliedBy: string): RunPolicy {
  return {
    lockTimeout: config.lockTimeout,
    maxLockTimeout: config.maxLockTimeout,
    lockRetryDelay: config.lockRetryDelay,
    lockRetryMaxDelay: config.lockRetryMaxDelay,
    lockRetries: config.lockRetries,
    maxLockWait: config.maxLockWait,
    lockPollInterval: config.lockPollInterval,
    statementTimeout: config.statementTimeout,
    indexBuildStatementTimeout: config.indexBuildStatementTimeout,
    backfill: { lockTimeout: config.backfillLockTimeout, statementTimeout: config.backfillStatementTimeout },
    appliedBy,
  };
}
