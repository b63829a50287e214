import { currentAmbientScope } from '@strata/pool';

/** What the scope chain needs to know about a transaction (or savepoint). */
export interface ScopedTransaction {
  /** The pool or Knex instance the transaction runs on. */
  readonly target: object;
  readonly isOpen: boolean;
}

/**
 * The transactions open in an async context, innermost first. They live in the pool's
 * ambient frames (`runWithConnection(…, context)` / `runWithAmbientContext`), so a
 * transaction opens one AsyncLocalStorage scope for its connection and itself together.
 * Frames form a chain so that a transaction on one pool nested in a transaction on another
 * keeps both visible.
 */
export class TransactionScope<T extends ScopedTransaction> {
  readonly #isTransaction: (context: unknown) => context is T;

  constructor(isTransaction: (context: unknown) => context is T) {
    this.#isTransaction = isTransaction;
  }

  /** The innermost open transaction on `target`, or on any target when omitted. */
  current(target?: object): T | undefined {
    for (let frame = currentAmbientScope(); frame !== undefined; frame = frame.outer) {
      const transaction = frame.context;
      if (
        this.#isTransaction(transaction) &&
        transaction.isOpen &&
        (target === undefined || transaction.target === target)
      ) {
        return transaction;
      }
    }
    return undefined;
  }

  /** Every open transaction of the current context, innermost first. */
  *open(): Generator<T> {
    for (let frame = currentAmbientScope(); frame !== undefined; frame = frame.outer) {
      const transaction = frame.context;
      if (this.#isTransaction(transaction) && transaction.isOpen) yield transaction;
    }
  }
}
