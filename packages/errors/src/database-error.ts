import { StrataError } from './strata-error.js';

/** What PostgreSQL reports about an error, as the `pg` driver exposes it. */
export interface PostgresErrorFields {
  /** The SQLSTATE, e.g. `23505`. */
  sqlState: string;
  /** PostgreSQL's primary message, without any SQL text a query builder may have prefixed. */
  serverMessage: string;
  detail?: string | undefined;
  hint?: string | undefined;
  schema?: string | undefined;
  table?: string | undefined;
  column?: string | undefined;
  constraint?: string | undefined;
  dataType?: string | undefined;
}

/**
 * An error PostgreSQL reported for a statement. Subclasses exist for the SQLSTATEs callers
 * act on; anything else arrives as a plain `DatabaseError` with its `sqlState`.
 * The message never contains SQL text or bound values.
 */
export class DatabaseError extends StrataError {
  readonly sqlState: string;
  readonly serverMessage: string;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly schema: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly constraint: string | undefined;
  readonly dataType: string | undefined;

  constructor(code: string, message: string, fields: PostgresErrorFields, options: { cause?: unknown } = {}) {
    super(code, message, options);
    this.sqlState = fields.sqlState;
    this.serverMessage = fields.serverMessage;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.schema = fields.schema;
    this.table = fields.table;
    this.column = fields.column;
    this.constraint = fields.constraint;
    this.dataType = fields.dataType;
  }

  /** True when running the whole transaction again may succeed (serialization failure, deadlock). */
  get retryable(): boolean {
    return false;
  }
}
