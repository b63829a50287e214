import { DatabaseError } from './database-error.js';

/**
 * A value PostgreSQL could not take (SQLSTATE class 22, "data exception"): text that does not
 * parse as the column's type, a number out of range, an impossible date, a string too long.
 * The value came from the caller, so validating it before sending avoids this error.
 */
export class DataExceptionError extends DatabaseError {}

/**
 * 22021 / 22P05: text holds a character the database cannot store or convert — a NUL
 * (U+0000), which PostgreSQL text never holds, or a character outside the server or client
 * encoding. Remove the character (binary data belongs in a `bytea` column).
 */
export class UnsupportedCharacterError extends DataExceptionError {}
