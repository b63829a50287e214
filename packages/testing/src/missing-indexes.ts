import { StrataError } from '@strata/errors';
import type { CapturedQuery } from './capture-queries.js';
import { filteredScans, type PlanNode } from './plan-filters.js';
import { loadQueryParser, queryShape, statementKinds } from './query-shape.js';

/** The one thing the detector needs from a connection: run a statement with parameters. */
export interface Queryable {
  query(text: string, values?: readonly unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** A filter that reads rows no index selected. */
export interface MissingIndex {
  schema: string;
  table: string;
  /** The scan's filter as PostgreSQL prints it, e.g. `(customers.email = $1)`. */
  filter: string;
  /** How the table was read, e.g. `Seq Scan` or `Index Scan using tickets_pkey`. */
  scan: string;
  /**
   * The filtered columns that lead no index of the table. Empty when each has one that cannot
   * serve this filter (e.g. it filters on a function of the column: index that expression).
   */
  columns: string[];
  query: string;
}

export interface FindMissingIndexesOptions {
  /** Tables never reported (e.g. tiny lookup tables scanned on purpose). */
  ignoreTables?: readonly string[];
  /**
   * Also report filters on unindexed columns of rows an index condition already narrowed
   * (`where tenant_id = $1 and status = $2` with an index on tenant_id only). Default false:
   * only scans that read the whole table or walk a whole index are reported.
   */
  narrowedScans?: boolean;
}

const EXPLAINABLE = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt']);
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

// The first key column of each valid index: an index serves a filter on the columns it leads with.
const LEADING_INDEX_COLUMNS = `
  select distinct a.attname as name
  from pg_index i
  join pg_class t on t.oid = i.indrelid
  join pg_namespace n on n.oid = t.relnamespace
  join pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0]
  where n.nspname = $1 and t.relname = $2 and i.indisvalid`;

/**
 * EXPLAINs each distinct captured read, update and delete with `enable_seqscan = off`. Test
 * tables are tiny, so the planner happily scans them; with sequential scans priced out, a
 * filtered scan of the whole table that remains means no index can serve that filter — it will
 * be a full table scan in production. Every scan node with a `Filter` is examined: a
 * `Seq Scan`, and an `Index Scan`/`Index Only Scan` walking a whole index (say, the primary
 * key for an `ORDER BY id`) while filtering on columns no index leads with. Nothing is
 * executed: plain EXPLAIN, inside a rolled-back transaction (or savepoint, when the connection
 * is already in a transaction).
 */
export async function findMissingIndexes(
  connection: Queryable,
  queries: readonly CapturedQuery[],
  options: FindMissingIndexesOptions = {},
): Promise<MissingIndex[]> {
  await loadQueryParser();
  const ignored = new Set(options.ignoreTables ?? []);
  const seen = new Set<string>();
  const findings = new Map<string, MissingIndex>();
  const indexedColumns = new Map<string, Promise<Set<string>>>();
  const leadingColumns = (schema: string, table: string) => {
    const key = `${schema}.${table}`;
    let columns = indexedColumns.get(key);
    if (!columns) {
      columns = connection
        .query(LEADING_INDEX_COLUMNS, [schema, table])
        .then(({ rows }) => new Set(rows.map((row) => String(row.name))));
      indexedColumns.set(key, columns);
    }
    return columns;
  };
  // Inside an open transaction now() is its start time, earlier than this statement's.
  const inTransaction = await connection
    .query('select now() <> statement_timestamp() as open')
    .then((result) => result.rows[0]?.open === true);
  const begin = inTransaction ? 'savepoint strata_explain' : 'begin';
  const end = inTransaction ? 'rollback to savepoint strata_explain' : 'rollback';

  for (const query of queries) {
    const kinds = statementKinds(query.text);
    if (kinds.length !== 1 || !EXPLAINABLE.has(kinds[0] as string)) continue;
    const shape = queryShape(query.text);
    if (seen.has(shape)) continue;
    seen.add(shape);
    await connection.query(begin);
    try {
      await connection.query('set local enable_seqscan = off');
      const { rows } = await connection.query(
        `explain (format json, verbose) ${query.text}`,
        query.values ?? [],
      );
      const plan = (rows[0]?.['QUERY PLAN'] as { Plan: PlanNode }[] | undefined)?.[0]?.Plan;
      for (const scan of plan ? filteredScans(plan) : []) {
        const { schema, table } = scan;
        if (SYSTEM_SCHEMAS.has(schema) || ignored.has(table) || ignored.has(`${schema}.${table}`)) continue;
        const indexed = await leadingColumns(schema, table);
        const columns = scan.columns.filter((column) => !indexed.has(column));
        // A filter on indexed columns only is the planner's choice, not a missing index —
        // unless the whole table is read even so (an expression no index serves).
        if (!scan.sequential && (columns.length === 0 || (scan.narrowed && !options.narrowedScans))) continue;
        const key = `${schema}.${table} ${scan.filter}`;
        if (!findings.has(key))
          findings.set(key, {
            schema,
            table,
            filter: scan.filter,
            scan: scan.scan,
            columns,
            query: query.text,
          });
      }
    } finally {
      await connection.query(end);
    }
  }
  return [...findings.values()];
}

/** Queries filtered tables without an index that could serve them. */
export class MissingIndexError extends StrataError {
  readonly missing: readonly MissingIndex[];

  constructor(missing: readonly MissingIndex[]) {
    const lines = missing.map((m) => {
      const why =
        m.columns.length > 0
          ? `no index leads with ${m.columns.join(', ')}`
          : 'no index serves this filter (index the expression it filters on)';
      return `  ${m.schema}.${m.table}: ${m.scan} filtering ${m.filter} — ${why}\n    in: ${m.query.replace(/\s+/g, ' ').trim()}`;
    });
    super(
      'MISSING_INDEX',
      `These queries filter rows that no index selects — full scans in production. Add an index leading with the named columns (CREATE INDEX CONCURRENTLY in an expand migration):\n${lines.join('\n')}`,
    );
    this.missing = missing;
  }
}
