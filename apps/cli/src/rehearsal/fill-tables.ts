import { DatabaseError } from '@strata/errors';
import type { SqlClient } from '../database/connect.js';
import { fillStatement } from './fill-statement.js';
import type { TableInfo } from './table-catalog.js';

/** What filling one table did. */
export interface FilledTable {
  table: string;
  /** Rows inserted (0 when it could not be filled). */
  rows: number;
  /** Columns left NULL (or to their default) although they had a type to fill. */
  nulledColumns: string[];
  /** Why the table has fewer rows than asked for, if it does. */
  note: string | null;
}

/**
 * Parents before children, so foreign keys can point at filled rows; the tables of a cycle
 * come in catalog order (their foreign keys back into the cycle are left NULL).
 */
export function fillOrder(tables: readonly TableInfo[]): TableInfo[] {
  const byOid = new Map(tables.map((table) => [table.oid, table]));
  const ordered: TableInfo[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (table: TableInfo): void => {
    if (state.get(table.oid) !== undefined) return;
    state.set(table.oid, 'visiting');
    for (const foreignKey of table.foreignKeys) {
      const parent = byOid.get(foreignKey.parentOid);
      if (parent && parent !== table) visit(parent);
    }
    state.set(table.oid, 'done');
    ordered.push(table);
  };
  for (const table of tables) visit(table);
  return ordered;
}

const describe = (error: unknown): string =>
  error instanceof DatabaseError
    ? `${error.serverMessage}${error.constraint ? ` (constraint ${error.constraint})` : ''}`
    : error instanceof Error
      ? error.message
      : String(error);

/**
 * Fills every table with `rows` synthetic rows (see `fillStatement`), parents first, each
 * table in its own statement. A table whose full rows break a constraint (a CHECK the
 * values do not meet) is tried again with its optional columns NULL; one that still fails
 * is left empty and reported with the server's reason, so the rehearsal report says which
 * tables it could not fill rather than pretending.
 */
export async function fillTables(
  client: SqlClient,
  tables: readonly TableInfo[],
  rows: number,
  onTable: (index: number, total: number, table: string) => void = () => undefined,
): Promise<FilledTable[]> {
  const filled = new Set<number>();
  const results: FilledTable[] = [];
  const ordered = fillOrder(tables);
  for (const [index, table] of ordered.entries()) {
    onTable(index + 1, ordered.length, table.display);
    if (rows === 0) {
      results.push({ table: table.display, rows: 0, nulledColumns: [], note: null });
      continue;
    }
    let note: string | null = null;
    let inserted = 0;
    let nulledColumns: string[] = [];
    for (const minimal of [false, true]) {
      const statement = fillStatement(table, filled, minimal);
      if (statement.sql === undefined) {
        note = statement.problem;
        break;
      }
      try {
        // Autocommitted: a failed insert leaves nothing behind.
        await client.query(statement.sql, [rows]);
        inserted = rows;
        nulledColumns = statement.nulled;
        note = minimal ? `${note}; filled with optional columns left NULL` : null;
        break;
      } catch (error) {
        note = `could not be filled: ${describe(error)}`;
      }
    }
    if (inserted > 0) filled.add(table.oid);
    results.push({ table: table.display, rows: inserted, nulledColumns, note });
  }
  return results;
}
