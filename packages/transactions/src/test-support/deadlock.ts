import type { Pool } from '@strata/pool';
import type { TransactionOptions } from '../transaction-options.js';
import { withTransaction } from '../with-transaction.js';
import { createBarrier } from './barrier.js';

/**
 * Runs two transactions on `pool` that deadlock on their first attempt: each updates one of
 * rows 1 and 2 of table `rows`, waits for the other, then updates the other row. PostgreSQL
 * aborts the first (40P01); with retries it runs again and both commit. Resolves with the
 * attempt each finished on: [2, 1]. The table needs `id int PRIMARY KEY, value int`.
 */
export function provokeDeadlock(pool: Pool, options: TransactionOptions = {}): Promise<number[]> {
  const bothHoldFirstLock = createBarrier(2);
  const lockInOrder = (first: number, second: number) =>
    withTransaction(
      pool,
      async (tx) => {
        // The first transaction detects the deadlock quickly (instead of after the default 1 s);
        // the second waits 10 s, so it is never the one aborted. With equal timeouts both
        // checks can run at the same moment and abort both.
        await tx.query("SELECT set_config('deadlock_timeout', $1, true)", [first === 1 ? '50ms' : '10s']);
        await tx.query('UPDATE rows SET value = value + 1 WHERE id = $1', [first]);
        if (tx.attempt === 1) await bothHoldFirstLock.arrive();
        await tx.query('UPDATE rows SET value = value + 1 WHERE id = $1', [second]);
        return tx.attempt;
      },
      { retryBackoff: { baseDelayMs: 1, maxDelayMs: 20 }, ...options },
    );
  return Promise.all([lockInOrder(1, 2), lockInOrder(2, 1)]);
}
