import { DatabaseError, type PostgresErrorFields } from './database-error.js';

/** Any integrity constraint violation (SQLSTATE class 23). Carries the constraint, table and columns. */
export class IntegrityConstraintViolationError extends DatabaseError {
  /** The columns involved, from PostgreSQL's `column` field or the key list in its detail. */
  readonly columns: readonly string[];

  constructor(code: string, message: string, fields: PostgresErrorFields, options: { cause?: unknown } = {}) {
    super(code, message, fields, options);
    this.columns = fields.column ? [fields.column] : columnsFromDetail(fields.detail);
  }
}

/** 23505: a row with the same key already exists. */
export class UniqueViolationError extends IntegrityConstraintViolationError {}

/** 23503: a referenced row is missing, or a row is still referenced. */
export class ForeignKeyViolationError extends IntegrityConstraintViolationError {}

/** 23502: a required column got NULL. */
export class NotNullViolationError extends IntegrityConstraintViolationError {}

/** 23514: a CHECK constraint rejected the row. */
export class CheckViolationError extends IntegrityConstraintViolationError {}

/** 23P01: an EXCLUDE constraint rejected the row. */
export class ExclusionViolationError extends IntegrityConstraintViolationError {}

// PostgreSQL's detail reads `Key (email)=(a@b.c) already exists.` or `Key (a, b)=(1, 2) ...`.
// Only the column names are taken; the values stay in `detail`, out of messages.
function columnsFromDetail(detail: string | undefined): string[] {
  const match = detail ? /^Key \(([^)]*)\)=/.exec(detail) : null;
  if (!match?.[1]) return [];
  return match[1].split(',').map((column) => column.trim().replace(/^"|"$/g, ''));
}
