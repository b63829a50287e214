import { DatabaseError } from './database-error.js';

/** 40001: the transaction could not be serialized with concurrent ones. Run it again. */
export class SerializationFailureError extends DatabaseError {
  override get retryable(): boolean {
    return true;
  }
}

/** 40P01: PostgreSQL broke a deadlock by aborting this transaction. Run it again. */
export class DeadlockDetectedError extends DatabaseError {
  override get retryable(): boolean {
    return true;
  }
}

/** 55P03: a lock could not be taken within `lock_timeout` (or `NOWAIT`). */
export class LockNotAvailableError extends DatabaseError {}

/** 57014: the statement was cancelled, by a caller or by `statement_timeout`. */
export class QueryCancelledError extends DatabaseError {}

/** 57014 caused by `statement_timeout`. */
export class StatementTimeoutError extends QueryCancelledError {}

/** 25P03: the session sat idle inside a transaction past `idle_in_transaction_session_timeout`. */
export class IdleInTransactionTimeoutError extends DatabaseError {}
