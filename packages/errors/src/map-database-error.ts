import { ConnectionError } from './connection-error.js';
import { ConnectionRejectedError, type ConnectionRejection } from './connection-rejected-error.js';
import { DataExceptionError, UnsupportedCharacterError } from './data-errors.js';
import { DatabaseError, type PostgresErrorFields } from './database-error.js';
import {
  CheckViolationError,
  ExclusionViolationError,
  ForeignKeyViolationError,
  NotNullViolationError,
  UniqueViolationError,
} from './integrity-errors.js';
import {
  ReadOnlyTransactionError,
  ReadWriteDuringRecoveryError,
  RecoveryConflictError,
} from './standby-errors.js';
import { StrataError } from './strata-error.js';
import {
  DeadlockDetectedError,
  IdleInTransactionTimeoutError,
  LockNotAvailableError,
  QueryCancelledError,
  SerializationFailureError,
  StatementTimeoutError,
} from './transaction-errors.js';

type DatabaseErrorClass = new (
  code: string,
  message: string,
  fields: PostgresErrorFields,
  options?: { cause?: unknown },
) => DatabaseError;

interface Mapping {
  code: string;
  type: DatabaseErrorClass;
  describe: (fields: PostgresErrorFields) => string;
}

const on = (fields: PostgresErrorFields): string =>
  [fields.constraint && `constraint "${fields.constraint}"`, fields.table && `table "${fields.table}"`]
    .filter(Boolean)
    .join(' on ');

// The one place SQLSTATEs become types. Every Strata package maps errors through here.
const BY_SQLSTATE: Record<string, Mapping> = {
  '23505': {
    code: 'UNIQUE_VIOLATION',
    type: UniqueViolationError,
    describe: (f) =>
      `A row with the same key already exists (${on(f)}). Use a different value or update the existing row.`,
  },
  '23503': {
    code: 'FOREIGN_KEY_VIOLATION',
    type: ForeignKeyViolationError,
    describe: (f) => `The row refers to a row that does not exist, or is still referred to (${on(f)}).`,
  },
  '23502': {
    code: 'NOT_NULL_VIOLATION',
    type: NotNullViolationError,
    describe: (f) =>
      `Column "${f.column ?? '?'}" of table "${f.table ?? '?'}" requires a value but got NULL.`,
  },
  '23514': {
    code: 'CHECK_VIOLATION',
    type: CheckViolationError,
    describe: (f) => `The row breaks a check (${on(f)}).`,
  },
  '23P01': {
    code: 'EXCLUSION_VIOLATION',
    type: ExclusionViolationError,
    describe: (f) => `The row conflicts with an existing row (${on(f)}).`,
  },
  '22021': {
    code: 'UNSUPPORTED_CHARACTER',
    type: UnsupportedCharacterError,
    describe: () =>
      'A text value holds a character the database cannot store (a NUL, U+0000, or invalid in its encoding). Remove it; binary data belongs in a bytea column.',
  },
  '22P05': {
    code: 'UNSUPPORTED_CHARACTER',
    type: UnsupportedCharacterError,
    describe: () =>
      'A text value holds a character the database cannot convert (a NUL escape in jsonb, or one outside the encoding). Remove it.',
  },
  '40001': {
    code: 'SERIALIZATION_FAILURE',
    type: SerializationFailureError,
    describe: () =>
      'The transaction could not be serialized with concurrent transactions. Run the whole transaction again.',
  },
  '40P01': {
    code: 'DEADLOCK_DETECTED',
    type: DeadlockDetectedError,
    describe: () =>
      'PostgreSQL detected a deadlock and aborted this transaction. Run it again; take locks in a consistent order to avoid it.',
  },
  '55P03': {
    code: 'LOCK_NOT_AVAILABLE',
    type: LockNotAvailableError,
    describe: () =>
      'A lock could not be acquired within lock_timeout. Another transaction holds it; retry later.',
  },
  '25006': {
    code: 'READ_ONLY_TRANSACTION',
    type: ReadOnlyTransactionError,
    describe: () =>
      'The statement tried to write in a read-only transaction: on a standby (read replica), or in a transaction started READ ONLY. Send writes to the primary.',
  },
  '25P03': {
    code: 'IDLE_IN_TRANSACTION_TIMEOUT',
    type: IdleInTransactionTimeoutError,
    describe: () =>
      'The session stayed idle inside a transaction past idle_in_transaction_session_timeout and was closed.',
  },
};

function queryCancelled(fields: PostgresErrorFields): Mapping {
  return /statement timeout/i.test(fields.serverMessage)
    ? {
        code: 'STATEMENT_TIMEOUT',
        type: StatementTimeoutError,
        describe: () => 'The statement ran longer than statement_timeout and was cancelled.',
      }
    : { code: 'QUERY_CANCELLED', type: QueryCancelledError, describe: () => 'The statement was cancelled.' };
}

// SQLSTATEs that mean something more specific on a standby, told apart by PostgreSQL's message.
function onStandby(code: string, fields: PostgresErrorFields): Mapping | undefined {
  if (code === '0A000' && /read-write mode during recovery/i.test(fields.serverMessage)) {
    return {
      code: 'READ_WRITE_DURING_RECOVERY',
      type: ReadWriteDuringRecoveryError,
      describe: () =>
        'This server is a standby (in recovery) and cannot run read-write transactions. Send writes to the primary; run reads here in a read-only transaction.',
    };
  }
  if ((code === '40001' || code === '40P01') && /conflict with recovery/i.test(fields.serverMessage)) {
    return {
      code: 'RECOVERY_CONFLICT',
      type: RecoveryConflictError,
      describe: () =>
        'The standby cancelled the statement to apply changes from the primary (a conflict with recovery). Run it again; if it keeps happening, read from the primary or raise max_standby_streaming_delay on the replica.',
    };
  }
  return undefined;
}

// Any other SQLSTATE of class 22: a value the database could not take as given.
function dataException(code: string): Mapping | undefined {
  if (!code.startsWith('22')) return undefined;
  return {
    code: 'DATA_EXCEPTION',
    type: DataExceptionError,
    // Not the server's message: for these it quotes the rejected value.
    describe: (f) =>
      `A value did not fit its column's type or range (SQLSTATE ${f.sqlState}; serverMessage has PostgreSQL's words). Check values before sending them.`,
  };
}

const CONNECTION_SQLSTATES = /^(08...|57P0[1-3]|53300)$/;
const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|Client has encountered a connection error|Connection ended unexpectedly/i;

interface DriverError {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
  schema?: unknown;
  table?: unknown;
  column?: unknown;
  constraint?: unknown;
  dataType?: unknown;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

// Knex prefixes driver messages with the SQL ("select ... - duplicate key ..."). Keep only
// PostgreSQL's own words so that SQL text never reaches a message.
function serverMessageOf(error: DriverError): string {
  const message = text(error.message) ?? '';
  const separator = message.lastIndexOf(' - ');
  return separator === -1 ? message : message.slice(separator + 3);
}

function fieldsOf(driver: DriverError, code: string): PostgresErrorFields {
  return {
    sqlState: code,
    serverMessage: serverMessageOf(driver),
    detail: text(driver.detail),
    hint: text(driver.hint),
    schema: text(driver.schema),
    table: text(driver.table),
    column: text(driver.column),
    constraint: text(driver.constraint),
    dataType: text(driver.dataType),
  };
}

/**
 * Turns an error from `pg`, Knex or Objection into the matching Strata error: a
 * `DatabaseError` subclass for a SQLSTATE, a `ConnectionError` for a lost or refused
 * connection. Strata errors and anything unrecognised are returned unchanged. The original
 * error is kept as `cause`.
 */
export function mapDatabaseError(error: unknown): unknown {
  if (error instanceof StrataError || typeof error !== 'object' || error === null) return error;
  // Objection wraps driver errors (db-errors); the driver's error is its `nativeError`.
  const native = (error as { nativeError?: unknown }).nativeError;
  const driver = (typeof native === 'object' && native !== null ? native : error) as DriverError;
  const code = text(driver.code);

  if (code && CONNECTION_ERRNOS.has(code)) {
    return new ConnectionError(
      `Could not reach PostgreSQL (${code}). Check that the server is up and reachable.`,
      {
        cause: error,
        reason: code,
      },
    );
  }
  if (!code || !/^[0-9A-Z]{5}$/.test(code)) {
    if (CONNECTION_MESSAGES.test(text(driver.message) ?? '')) {
      return new ConnectionError('The connection to PostgreSQL was lost while in use.', { cause: error });
    }
    return error;
  }

  const fields = fieldsOf(driver, code);
  if (CONNECTION_SQLSTATES.test(code)) {
    return new ConnectionError(
      `PostgreSQL closed the connection (SQLSTATE ${code}): ${fields.serverMessage}`,
      {
        cause: error,
        reason: code,
      },
    );
  }
  const mapping =
    code === '57014'
      ? queryCancelled(fields)
      : (onStandby(code, fields) ?? BY_SQLSTATE[code] ?? dataException(code));
  if (!mapping) {
    return new DatabaseError('DATABASE_ERROR', `${fields.serverMessage} (SQLSTATE ${code})`, fields, {
      cause: error,
    });
  }
  return new mapping.type(mapping.code, mapping.describe(fields), fields, { cause: error });
}

// PgBouncer answers every refusal with 08P01; its message says which one it was.
const UNSUPPORTED_PARAMETER = /unsupported startup parameter:?\s*"?([\w.-]+)/i;
const PGBOUNCER_REJECTIONS: ReadonlyArray<[RegExp, ConnectionRejection]> = [
  [/authentication failed|no such user|password authentication/i, 'authentication-failed'],
  [/database "[^"]*" does not exist|no such database/i, 'unknown-database'],
];

function rejectionOf(code: string, message: string): ConnectionRejection | undefined {
  if (code === '28P01' || code === '28000') return 'authentication-failed';
  if (code === '3D000') return 'unknown-database';
  if (code !== '08P01') return undefined;
  if (UNSUPPORTED_PARAMETER.test(message)) return 'unsupported-startup-parameter';
  return PGBOUNCER_REJECTIONS.find(([pattern]) => pattern.test(message))?.[1];
}

/**
 * `mapDatabaseError` for an error raised while opening a connection. A refusal that retrying
 * cannot fix — a rejected login, an unknown database, a startup parameter a pooler does not
 * support — becomes a `ConnectionRejectedError` saying which, also when PgBouncer reports it
 * as a protocol violation (08P01); everything else maps as `mapDatabaseError` maps it.
 */
export function mapConnectError(error: unknown): unknown {
  if (error instanceof StrataError || typeof error !== 'object' || error === null) return error;
  const driver = error as DriverError;
  const code = text(driver.code);
  const message = serverMessageOf(driver);
  const reason = code === undefined ? undefined : rejectionOf(code, message);
  if (code === undefined || reason === undefined) return mapDatabaseError(error);
  return new ConnectionRejectedError(reason, fieldsOf(driver, code), {
    cause: error,
    parameter: UNSUPPORTED_PARAMETER.exec(message)?.[1],
  });
}
