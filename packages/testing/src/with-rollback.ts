import type { Pool } from '@strata/pool';
import { type Transaction, type TransactionOptions, withTransaction } from '@strata/transactions';

class RollbackSignal extends Error {}

export interface WithRollbackOptions {
  /**
   * The network guard for the wrapping transaction. Default `off`: the test body is not
   * inside a transaction in production; the code under test's own `withTransaction` calls
   * (savepoints here) still apply their guard.
   */
  networkGuard?: TransactionOptions['networkGuard'];
}

/**
 * Runs `fn` inside a transaction on `pool` that is always rolled back, so a test leaves
 * nothing behind. The transaction is ambient: repositories, Knex and raw queries through
 * the pool join it without being passed anything, and code that opens its own transactions
 * gets savepoints, as it would nest in production. Returns what `fn` returned.
 */
export async function withRollback<T>(
  pool: Pool,
  fn: (tx: Transaction) => Promise<T> | T,
  options: WithRollbackOptions = {},
): Promise<T> {
  let result: T | undefined;
  try {
    await withTransaction(
      pool,
      async (tx) => {
        result = await fn(tx);
        throw new RollbackSignal();
      },
      { maxAttempts: 1, networkGuard: options.networkGuard ?? 'off', longTransactionWarningMs: 0 },
    );
  } catch (error) {
    if (!(error instanceof RollbackSignal)) throw error;
  }
  return result as T;
}
