import { AsyncLocalStorage } from 'node:async_hooks';

/** What the scope chain needs to know about a transaction (or savepoint). */
export interface ScopedTransaction {
  /** The pool or Knex instance the transaction runs on. */
  readonly target: object;
  readonly isOpen: boolean;
}

interface ScopeFrame<T extends ScopedTransaction> {
  readonly transaction: T;
  readonly outer: ScopeFrame<T> | undefined;
}

/**
 * The transactions open in an async context, innermost first. Frames form a chain so that a
 * transaction on one pool nested in a transaction on another keeps both visible.
 */
export class TransactionScope<T extends ScopedTransaction> {
  readonly #storage = new AsyncLocalStorage<ScopeFrame<T>>();

  /** Runs `fn` with `transaction` as the innermost transaction of the current context. */
  run<R>(transaction: T, fn: () => R): R {
    return this.#storage.run({ transaction, outer: this.#storage.getStore() }, fn);
  }

  /** The innermost open transaction on `target`, or on any target when omitted. */
  current(target?: object): T | undefined {
    for (let frame = this.#storage.getStore(); frame !== undefined; frame = frame.outer) {
      const { transaction } = frame;
      if (transaction.isOpen && (target === undefined || transaction.target === target)) return transaction;
    }
    return undefined;
  }

  /** Every open transaction of the current context, innermost first. */
  *open(): Generator<T> {
    for (let frame = this.#storage.getStore(); frame !== undefined; frame = frame.outer) {
      if (frame.transaction.isOpen) yield frame.transaction;
    }
  }
}
