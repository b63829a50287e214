export { type AdvisoryLockKey, type AdvisoryLockOptions, withAdvisoryLock } from './advisory-lock.js';
export type { Knex, Queryable } from './connection-source.js';
export { type KnexClientInternals, knexClientOf, type PgConnection } from './knex-client-internals.js';
export { LongTransactionWarning } from './long-transaction-warning.js';
export { updateWithVersion, type VersionedUpdate } from './optimistic-lock.js';
export type { Transaction } from './transaction.js';
export {
  AdvisoryLockUnavailableError,
  AfterCommitHookError,
  ConcurrentSavepointError,
  NetworkCallInTransactionError,
  NoTransactionError,
  OptimisticLockError,
  TransactionAbortedError,
  TransactionClosedError,
  TransactionRetriesExhaustedError,
} from './transaction-errors.js';
export {
  type IsolationLevel,
  type NetworkGuardMode,
  type RetryInfo,
  type TransactionOptions,
  transactionOptionsSchema,
} from './transaction-options.js';
export {
  createWithTransaction,
  currentTransaction,
  type TransactionCallback,
  type TransactionTarget,
  withTransaction,
} from './with-transaction.js';
