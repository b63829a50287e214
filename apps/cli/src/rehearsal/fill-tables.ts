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

/** How `fillTables` runs. */
export interface FillOptions {
  /** Tables not to fill (by oid), with the reason the report gives, e.g. a pending DROP TABLE. */
  skip?: ReadonlyMap<number, string>;
  onTable?: (index: number, total: number, table: string) => void;
}

// Plain indexes of a table (not backing a constraint, not clustered or the replica identity,
// without a comment), which are rebuilt after the load: one sort instead of a million
// index insertions. Their definitions come back exactly from pg_get_indexdef.
async function plainIndexes(
  client: SqlClient,
  table: TableInfo,
): Promise<{ drop: string; create: string }[]> {
  const { rows } = await client.query<{ drop_sql: string; create_sql: string }>(
    `select format('drop index %s', i.indexrelid::regclass) as drop_sql, pg_get_indexdef(i.indexrelid) as create_sql
     from pg_index i join pg_class c on c.oid = i.indexrelid
     where i.indrelid = $1 and c.relkind = 'i' and i.indisvalid and not i.indisclustered and not i.indisreplident
       and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)
       and obj_description(i.indexrelid, 'pg_class') is null
     order by c.relname`,
    [table.oid],
  );
  return rows.map((row) => ({ drop: row.drop_sql, create: row.create_sql }));
}

// Triggers (foreign-key checks included) need not fire on rows built to fit: parents are
// filled first and every foreign key takes an existing parent key. Only a role that may
// set session_replication_role (a superuser, or one granted SET on it) can skip them.
async function maySkipTriggers(client: SqlClient): Promise<boolean> {
  try {
    await client.query('set session_replication_role = replica');
    await client.query('reset session_replication_role');
    return true;
  } catch {
    return false;
  }
}

/**
 * Fills every table with `rows` synthetic rows (see `fillStatement`), parents first, each
 * table with one set-based INSERT ... SELECT ... FROM generate_series in its own
 * transaction, which also drops the table's plain indexes before the insert and rebuilds
 * them after it, and — when the role may — skips triggers and foreign-key checks. A table
 * whose full rows break a constraint (a CHECK the values do not meet) is tried again with its
 * optional columns NULL; one that still fails is left empty (its transaction rolled back,
 * indexes included) and reported with the server's reason, so the rehearsal report says
 * which tables it could not fill rather than pretending. Tables in `skip` are left empty with
 * their reason.
 */
export async function fillTables(
  client: SqlClient,
  tables: readonly TableInfo[],
  rows: number,
  options: FillOptions = {},
): Promise<FilledTable[]> {
  const onTable = options.onTable ?? (() => undefined);
  const filled = new Set<number>();
  const results: FilledTable[] = [];
  const ordered = fillOrder(tables);
  const skipTriggers = rows > 0 && (await maySkipTriggers(client));
  for (const [index, table] of ordered.entries()) {
    onTable(index + 1, ordered.length, table.display);
    const skipped = options.skip?.get(table.oid);
    if (rows === 0 || skipped !== undefined) {
      results.push({ table: table.display, rows: 0, nulledColumns: [], note: skipped ?? null });
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
        await fillInTransaction(client, table, statement.sql, rows, skipTriggers);
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

async function fillInTransaction(
  client: SqlClient,
  table: TableInfo,
  sql: string,
  rows: number,
  skipTriggers: boolean,
): Promise<void> {
  await client.query('begin');
  try {
    if (skipTriggers) await client.query('set local session_replication_role = replica');
    const indexes = await plainIndexes(client, table);
    for (const index of indexes) await client.query(index.drop);
    await client.query(sql, [rows]);
    for (const index of indexes) await client.query(index.create);
    await client.query('commit');
  } catch (error) {
    // A failed insert leaves nothing behind: no rows, the indexes as they were.
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}
