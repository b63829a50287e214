import { DatabaseError } from './database-error.js';
import { SerializationFailureError } from './transaction-errors.js';

/**
 * 25006: a statement tried to write in a read-only transaction — on a standby (a read
 * replica), or in a transaction started `READ ONLY`. Send the write to the primary.
 */
export class ReadOnlyTransactionError extends DatabaseError {}

/**
 * 0A000 "cannot set transaction read-write mode during recovery": a read-write transaction
 * was started on a standby. The server is a replica (or the primary was just demoted).
 */
export class ReadWriteDuringRecoveryError extends ReadOnlyTransactionError {}

/**
 * 40001 (or 40P01) "… due to conflict with recovery": a standby cancelled the statement so
 * that it could apply changes from the primary. Running it again usually succeeds.
 */
export class RecoveryConflictError extends SerializationFailureError {}
