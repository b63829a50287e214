export { ConnectionError } from './connection-error.js';
export { ConnectionRejectedError, type ConnectionRejection } from './connection-rejected-error.js';
export { DataExceptionError, UnsupportedCharacterError } from './data-errors.js';
export { DatabaseError, type PostgresErrorFields } from './database-error.js';
export {
  CheckViolationError,
  ExclusionViolationError,
  ForeignKeyViolationError,
  IntegrityConstraintViolationError,
  NotNullViolationError,
  UniqueViolationError,
} from './integrity-errors.js';
export { type ConfigIssue, InvalidConfigError } from './invalid-config-error.js';
export { mapConnectError, mapDatabaseError } from './map-database-error.js';
export { redactConnectionString, redactSecret } from './redact-connection-string.js';
export { type SessionFeature, SessionFeatureUnsupportedError } from './session-feature-unsupported-error.js';
export {
  escapeIdentifier,
  type IdentifierRule,
  InvalidIdentifierError,
  identifierProblem,
  qualifiedNameProblem,
  quoteIdentifier,
  quoteQualifiedName,
} from './sql-identifier.js';
export {
  ReadOnlyTransactionError,
  ReadWriteDuringRecoveryError,
  RecoveryConflictError,
} from './standby-errors.js';
export { StrataError, type StrataErrorOptions } from './strata-error.js';
export {
  DeadlockDetectedError,
  IdleInTransactionTimeoutError,
  LockNotAvailableError,
  QueryCancelledError,
  SerializationFailureError,
  StatementTimeoutError,
} from './transaction-errors.js';
