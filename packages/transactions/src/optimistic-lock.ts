import {
  type ConfigIssue,
  InvalidConfigError,
  identifierProblem,
  qualifiedNameProblem,
  quoteIdentifier,
  quoteQualifiedName,
} from '@strata/errors';
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

/**
 * Updates one row only if its version column still equals `expectedVersion`, incrementing
 * the version in the same statement, and returns the updated row (`RETURNING *`). When no
 * row matched (someone else updated or deleted it since it was read) it throws
 * `OptimisticLockError`. Table and column names are validated and quoted (`quoteIdentifier` of
 * `@strata/errors`), so any name PostgreSQL takes works; every value is a parameter.
 */
export async function updateWithVersion<Row = Record<string, unknown>>(
  db: Queryable,
  update: VersionedUpdate,
): Promise<Row> {
  const idColumn = update.idColumn ?? 'id';
  const versionColumn = update.versionColumn ?? 'version';
  const columns = Object.keys(update.set ?? {});
  const issues: ConfigIssue[] = [];
  const tableProblem = qualifiedNameProblem(update.table);
  if (tableProblem) issues.push({ path: 'table', message: tableProblem });
  for (const [path, name] of [
    ['idColumn', idColumn],
    ['versionColumn', versionColumn],
  ] as const) {
    const problem = identifierProblem(name);
    if (problem) issues.push({ path, message: problem });
  }
  if (columns.length === 0) issues.push({ path: 'set', message: 'must name at least one column' });
  for (const column of columns) {
    const problem = identifierProblem(column);
    if (problem) {
      issues.push({ path: `set.${column}`, message: problem });
    } else if (column === versionColumn || column === idColumn) {
      issues.push({
        path: `set.${column}`,
        message: `must not be the ${column === idColumn ? 'id' : 'version'} column`,
      });
    }
  }
  if (issues.length > 0) throw new InvalidConfigError('updateWithVersion', issues);

  const table = quoteQualifiedName(update.table);
  const id = quoteIdentifier(idColumn);
  const version = quoteIdentifier(versionColumn);
  const assignments = columns.map((column, index) => `${quoteIdentifier(column)} = $${index + 1}`);
  assignments.push(`${version} = ${version} + 1`);
  const idParam = columns.length + 1;
  const sql =
    `UPDATE ${table} SET ${assignments.join(', ')} ` +
    `WHERE ${id} = $${idParam} AND ${version} = $${idParam + 1} RETURNING *`;
  const values = [...columns.map((column) => update.set[column]), update.id, String(update.expectedVersion)];
  const result = await db.query<Row>(sql, values);
  const row = result.rows[0];
  if (row === undefined) throw new OptimisticLockError(update.table, update.id, update.expectedVersion);
  return row;
}
