import { StrataError } from '@strata/errors';
import type { CapturedQuery } from './capture-queries.js';
import { loadQueryParser, queryShape, statementKinds } from './query-shape.js';

/** The one thing the detector needs from a connection: run a statement with parameters. */
export interface Queryable {
  query(text: string, values?: readonly unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** A filtered sequential scan that no index can replace. */
export interface MissingIndex {
  schema: string;
  table: string;
  /** The scan's filter as PostgreSQL prints it, e.g. `(email = $1)`. */
  filter: string;
  query: string;
}

export interface FindMissingIndexesOptions {
  /** Tables never reported (e.g. tiny lookup tables scanned on purpose). */
  ignoreTables?: readonly string[];
}

interface PlanNode {
  'Node Type'?: string;
  'Relation Name'?: string;
  Schema?: string;
  Filter?: string;
  Plans?: PlanNode[];
}

const EXPLAINABLE = new Set(['SelectStmt', 'UpdateStmt', 'DeleteStmt']);
const SYSTEM_SCHEMAS = new Set(['pg_catalog', 'information_schema', 'pg_toast']);

function* filteredSeqScans(node: PlanNode): Generator<PlanNode> {
  if (node['Node Type'] === 'Seq Scan' && node.Filter) yield node;
  for (const child of node.Plans ?? []) yield* filteredSeqScans(child);
}

/**
 * EXPLAINs each distinct captured read, update and delete with `enable_seqscan = off`. Test
 * tables are tiny, so the planner happily scans them; with sequential scans priced out, a
 * filtered `Seq Scan` that remains means no index can serve that filter — it will be a full
 * table scan in production. Nothing is executed: plain EXPLAIN, inside a rolled-back
 * transaction (or savepoint, when the connection is already in a transaction).
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
      for (const scan of plan ? filteredSeqScans(plan) : []) {
        const schema = scan.Schema ?? 'public';
        const table = scan['Relation Name'] ?? '?';
        if (SYSTEM_SCHEMAS.has(schema) || ignored.has(table) || ignored.has(`${schema}.${table}`)) continue;
        const key = `${schema}.${table} ${scan.Filter}`;
        if (!findings.has(key))
          findings.set(key, { schema, table, filter: scan.Filter as string, query: query.text });
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
    const lines = missing.map(
      (m) =>
        `  ${m.schema}.${m.table}: sequential scan filtering ${m.filter}\n    in: ${m.query.replace(/\s+/g, ' ').trim()}`,
    );
    super(
      'MISSING_INDEX',
      `These queries would scan whole tables; add an index on the filtered columns (CREATE INDEX CONCURRENTLY in an expand migration):\n${lines.join('\n')}`,
    );
    this.missing = missing;
  }
}
