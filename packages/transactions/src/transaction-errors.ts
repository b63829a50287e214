import { StrataError } from '@strata/errors';
import { openedAt } from './start-site.js';

/**
 * Code inside a transaction made an outbound network call (fetch, http, a raw socket) to
 * something other than the database. The transaction holds locks and a connection while it
 * waits on a service that can be slow or down, and the call cannot be rolled back. Move the
 * call to `tx.afterCommit()` (or before the transaction).
 */
export class NetworkCallInTransactionError extends StrataError {
  /** The host the code tried to reach. */
  readonly host: string;
  /** The port, when known. */
  readonly port: number | undefined;
  /** How the call was made: `fetch`, `http` or `net`. */
  readonly via: 'fetch' | 'http' | 'net';
  /** Where the transaction was opened (the first line of `transactionStack`); empty when `captureStartSite` is off. */
  readonly transactionSite: string;
  /** The stack of the code that opened the transaction; empty when `captureStartSite` is off. */
  readonly transactionStack: string;

  constructor(details: {
    host: string;
    port: number | undefined;
    via: 'fetch' | 'http' | 'net';
    transactionSite: string;
    transactionStack: string;
  }) {
    const target = details.port === undefined ? details.host : `${details.host}:${details.port}`;
    super(
      'NETWORK_CALL_IN_TRANSACTION',
      `Network call (${details.via}) to ${target} while a transaction is open; ${openedAt(details.transactionSite)}. ` +
        'A transaction must not wait on other services: move the call to tx.afterCommit() or before the transaction.',
    );
    this.host = details.host;
    this.port = details.port;
    this.via = details.via;
    this.transactionSite = details.transactionSite;
    this.transactionStack = details.transactionStack;
  }
}

/**
 * The transaction kept failing with a retryable error (serialization failure or deadlock) on
 * every attempt. `cause` is the last attempt's typed error (`SerializationFailureError` or
 * `DeadlockDetectedError`); nothing was committed.
 */
export class TransactionRetriesExhaustedError extends StrataError {
  /** How many times the transaction ran. */
  readonly attempts: number;

  constructor(attempts: number, cause: Error) {
    super(
      'TRANSACTION_RETRIES_EXHAUSTED',
      `The transaction failed on all ${attempts} attempt${attempts === 1 ? '' : 's'} (last: ${cause.message}). ` +
        'Nothing was committed. Reduce contention on the rows involved or raise maxAttempts.',
      { cause },
    );
    this.attempts = attempts;
  }
}

/**
 * The callback resolved, but a statement inside it had failed (and the error was caught),
 * so PostgreSQL had already aborted the transaction and COMMIT rolled it back. To recover
 * from a failing statement, run it in a nested `withTransaction` (a savepoint).
 */
export class TransactionAbortedError extends StrataError {
  constructor(scope: 'transaction' | 'savepoint' = 'transaction', options: { cause?: unknown } = {}) {
    super(
      'TRANSACTION_ABORTED',
      `The ${scope} was rolled back instead of committed: a statement inside it failed and its error was caught. ` +
        'Wrap statements that may fail in a nested withTransaction (a savepoint), or let the error propagate.',
      options,
    );
  }
}

/**
 * The transaction committed, but one or more `afterCommit` hooks threw. The data is
 * committed: do not run the transaction again. `errors` holds each hook's error and
 * `result` what the transaction callback returned.
 */
export class AfterCommitHookError extends StrataError {
  readonly errors: readonly unknown[];
  readonly result: unknown;

  constructor(errors: readonly unknown[], result: unknown) {
    super(
      'AFTER_COMMIT_HOOK_FAILED',
      `The transaction committed, but ${errors.length} afterCommit hook${errors.length === 1 ? '' : 's'} failed ` +
        `(first: ${describe(errors[0])}). The data is committed; do not retry the transaction.`,
      { cause: errors[0] },
    );
    this.errors = errors;
    this.result = result;
  }
}

/**
 * A version-checked update matched no row: the row was changed (or deleted) by someone
 * else since it was read. Read it again and reapply the change, or report a conflict.
 */
export class OptimisticLockError extends StrataError {
  readonly table: string;
  readonly id: unknown;
  readonly expectedVersion: unknown;

  constructor(table: string, id: unknown, expectedVersion: unknown) {
    super(
      'OPTIMISTIC_LOCK_CONFLICT',
      `The row of "${table}" was changed or deleted since it was read (expected version ${String(expectedVersion)}). ` +
        'Read it again and reapply the change, or report the conflict to the user.',
    );
    this.table = table;
    this.id = id;
    this.expectedVersion = expectedVersion;
  }
}

/** `withAdvisoryLock(..., { mode: 'try' })` found the lock held by another session. */
export class AdvisoryLockUnavailableError extends StrataError {
  readonly key: string;

  constructor(key: string) {
    super(
      'ADVISORY_LOCK_UNAVAILABLE',
      `Advisory lock ${key} is held by another session. Try again later, or use mode 'wait' to queue for it.`,
    );
    this.key = key;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A transaction (or savepoint) was used after it committed or rolled back. */
export class TransactionClosedError extends StrataError {
  constructor() {
    super(
      'TRANSACTION_CLOSED',
      'This transaction has already committed or rolled back and can no longer be used. ' +
        'Keep work that needs it inside the withTransaction callback.',
    );
  }
}

/** `withTransaction(fn)` without a pool needs a transaction open in the current async context. */
export class NoTransactionError extends StrataError {
  constructor() {
    super(
      'NO_TRANSACTION',
      'withTransaction(fn) was called without a pool or Knex instance, and no transaction is open here. ' +
        'Call withTransaction(pool, fn) to start one.',
    );
  }
}

/**
 * Two savepoints of one transaction were started at the same time. A connection runs one
 * statement at a time and savepoints nest strictly; run them one after another.
 */
export class ConcurrentSavepointError extends StrataError {
  constructor() {
    super(
      'CONCURRENT_SAVEPOINT',
      'A nested withTransaction (savepoint) was started while another savepoint of the same transaction was still open. ' +
        'Await each nested withTransaction before starting the next.',
    );
  }
}
