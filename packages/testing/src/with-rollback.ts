import type { Pool } from '@strata/pool';
import { createWithTransaction, type Transaction, type TransactionOptions } from '@strata/transactions';

type NetworkGuard = NonNullable<TransactionOptions['networkGuard']>;

export interface WithRollbackOptions {
  /**
   * The network guard for the wrapping transaction. Default `off`: the test body is not
   * inside a transaction in production; the code under test's own `withTransaction` calls
   * (savepoints here) still apply their guard.
   */
  networkGuard?: NetworkGuard;
}

// Thrown to end the wrapping transaction with ROLLBACK. One instance: it is control flow,
// not a failure, so no stack needs capturing per test.
const ROLLBACK = Symbol('strata.rollback');

// Options are validated once per pool and guard mode, not on every test.
const boundTransactions = new WeakMap<Pool, Map<NetworkGuard, ReturnType<typeof createWithTransaction>>>();

function transactionFor(pool: Pool, networkGuard: NetworkGuard) {
  let byGuard = boundTransactions.get(pool);
  if (!byGuard) {
    byGuard = new Map();
    boundTransactions.set(pool, byGuard);
  }
  let bound = byGuard.get(networkGuard);
  if (!bound) {
    bound = createWithTransaction(pool, { maxAttempts: 1, networkGuard, longTransactionWarningMs: 0 });
    byGuard.set(networkGuard, bound);
  }
  return bound;
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
    await transactionFor(
      pool,
      options.networkGuard ?? 'off',
    )(async (tx) => {
      result = await fn(tx);
      throw ROLLBACK;
    });
  } catch (error) {
    if (error !== ROLLBACK) throw error;
  }
  return result as T;
}
