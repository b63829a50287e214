import { type ConfigIssue, InvalidConfigError } from '@strata/errors';
import type { Queryable } from './connection-source.js';
import { OptimisticLockError } from './transaction-errors.js';

/** A version-checked update of one row. */
export interface VersionedUpdate {
  /** `table` or `schema.table`. */
  table: string;
  /** The row's key value. */
  id: unknown;
  /** The version the caller read; the update applies only if the row still has it. */
  expectedVersion: number | bigint | string;
  /** Columns to set (at least one), by name. */
  set: Readonly<Record<string, unknown>>;
  /** Defaults to `id`. */
  idColumn?: string;
  /** An integer column the update increments. Defaults to `version`. */
  versionColumn?: string;
}

// Identifiers are never escaped, only accepted: plain names PostgreSQL reads back unquoted.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Updates one row only if its version column still equals `expectedVersion`, incrementing
 * the version in the same statement, and returns the updated row (`RETURNING *`). When no
 * row matched (someone else updated or deleted it since it was read) it throws
 * `OptimisticLockError`. Identifiers must be plain names; every value is a parameter.
 */
export async function updateWithVersion<Row = Record<string, unknown>>(
  db: Queryable,
  update: VersionedUpdate,
): Promise<Row> {
  const idColumn = update.idColumn ?? 'id';
  const versionColumn = update.versionColumn ?? 'version';
  const columns = Object.keys(update.set ?? {});
  const issues: ConfigIssue[] = [];
  const tableParts = typeof update.table === 'string' ? update.table.split('.') : [];
  if (tableParts.length < 1 || tableParts.length > 2 || !tableParts.every((part) => IDENTIFIER.test(part))) {
    issues.push({ path: 'table', message: 'must be a plain name or schema.name (letters, digits, _)' });
  }
  for (const [path, name] of [
    ['idColumn', idColumn],
    ['versionColumn', versionColumn],
  ] as const) {
    if (!IDENTIFIER.test(name))
      issues.push({ path, message: 'must be a plain column name (letters, digits, _)' });
  }
  if (columns.length === 0) issues.push({ path: 'set', message: 'must name at least one column' });
  for (const column of columns) {
    if (!IDENTIFIER.test(column)) {
      issues.push({ path: `set.${column}`, message: 'must be a plain column name (letters, digits, _)' });
    } else if (column === versionColumn || column === idColumn) {
      issues.push({
        path: `set.${column}`,
        message: `must not be the ${column === idColumn ? 'id' : 'version'} column`,
      });
    }
  }
  if (issues.length > 0) throw new InvalidConfigError('updateWithVersion', issues);

  const quote = (name: string) => `"${name}"`;
  const table = tableParts.map(quote).join('.');
  const assignments = columns.map((column, index) => `${quote(column)} = $${index + 1}`);
  assignments.push(`${quote(versionColumn)} = ${quote(versionColumn)} + 1`);
  const idParam = columns.length + 1;
  const sql =
    `UPDATE ${table} SET ${assignments.join(', ')} ` +
    `WHERE ${quote(idColumn)} = $${idParam} AND ${quote(versionColumn)} = $${idParam + 1} RETURNING *`;
  const values = [...columns.map((column) => update.set[column]), update.id, String(update.expectedVersion)];
  const result = await db.query<Row>(sql, values);
  const row = result.rows[0];
  if (row === undefined) throw new OptimisticLockError(update.table, update.id, update.expectedVersion);
  return row;
}
