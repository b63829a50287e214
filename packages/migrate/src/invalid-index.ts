import type { Queryable } from './migration-history.js';
import type { SqlStatement } from './sql-parser.js';

interface IndexTarget {
  indexName: string;
  tableName: string;
  tableSchema: string | undefined;
}

// The index a CREATE INDEX CONCURRENTLY statement builds, when it names one.
function indexTarget(statement: Pick<SqlStatement, 'node' | 'kind'>): IndexTarget | undefined {
  if (statement.kind !== 'IndexStmt') return undefined;
  const index = statement.node.IndexStmt as {
    idxname?: string;
    concurrent?: boolean;
    relation?: { relname?: string; schemaname?: string };
  };
  if (!index.concurrent || !index.idxname || !index.relation?.relname) return undefined;
  return {
    indexName: index.idxname,
    tableName: index.relation.relname,
    tableSchema: index.relation.schemaname,
  };
}

/**
 * A failed or interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index behind, which
 * blocks a plain rerun (or, with IF NOT EXISTS, is silently kept). Before such a statement
 * runs, this finds an INVALID index of the same name on the same table and drops it
 * concurrently. Only the index the statement names is touched, and only while the migrator
 * lock is held, so no other migrator's build is affected. Returns the dropped index, if any.
 */
export async function dropInvalidIndexFor(
  db: Queryable,
  statement: Pick<SqlStatement, 'node' | 'kind'>,
): Promise<string | undefined> {
  const target = indexTarget(statement);
  if (!target) return undefined;
  // Identifiers from the parse tree are quoted by PostgreSQL itself (quote_ident / %I).
  const { rows } = await db.query(
    `select format('drop index concurrently %I.%I', n.nspname, c.relname) as drop_sql,
            n.nspname || '.' || c.relname as qualified_name
     from pg_index i
     join pg_class c on c.oid = i.indexrelid
     join pg_namespace n on n.oid = c.relnamespace
     where c.relname = $1 and not i.indisvalid
       and i.indrelid = to_regclass(case when $3::text is null then quote_ident($2) else quote_ident($3) || '.' || quote_ident($2) end)`,
    [target.indexName, target.tableName, target.tableSchema ?? null],
  );
  const row = rows[0];
  if (!row) return undefined;
  await db.query(String(row.drop_sql));
  return String(row.qualified_name);
}
