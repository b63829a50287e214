import type { SqlClient } from '../database/connect.js';
import type { ExcludedTables } from './table-catalog.js';

/** A relation that existed before a migration: sessions may be using it. */
export interface ExistingRelation {
  oid: number;
  /** `schema.name`, for reports. */
  name: string;
  /** `"schema"."name"`, quoted, for counting rows. */
  qualified: string;
  /** `r` table, `p` partitioned table, `m` materialized view, `i`/`I` index. */
  kind: string;
  relfilenode: number;
}

/** The user relations and the next transaction id before a migration runs. */
export interface RelationSnapshot {
  relations: Map<number, ExistingRelation>;
  /** The first transaction id not yet assigned (mod 2^32, as `xmin` shows it). */
  nextXid: number;
}

/**
 * Reads the tables, partitioned tables, materialized views and indexes of user schemas
 * (except the migrator's own tables and their indexes) with their storage file numbers,
 * and where transaction ids stand. A table whose `relfilenode` changes was rewritten; rows
 * whose `xmin` is at or past `nextXid` were written after the snapshot.
 */
export async function snapshotRelations(
  client: SqlClient,
  excluded: ExcludedTables,
): Promise<RelationSnapshot> {
  const { rows } = await client.query<{
    oid: string;
    name: string;
    qualified: string;
    kind: string;
    relfilenode: string;
  }>(
    `with strata as (
       select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = $1 and c.relname = any($2::text[])
     )
     select c.oid::int8 as oid, n.nspname || '.' || c.relname as name,
            quote_ident(n.nspname) || '.' || quote_ident(c.relname) as qualified,
            c.relkind as kind, c.relfilenode::int8 as relfilenode
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'm', 'i', 'I')
       and n.nspname <> all (array['pg_catalog', 'information_schema'])
       and n.nspname !~ '^pg_(toast|temp)'
       and c.oid not in (select oid from strata)
       and c.oid not in (select indexrelid from pg_index where indrelid in (select oid from strata))`,
    [excluded.schema, excluded.tables],
  );
  const { rows: xid } = await client.query<{ next: string }>(
    `select (pg_snapshot_xmax(pg_current_snapshot())::text::bigint % 4294967296) as next`,
  );
  return {
    relations: new Map(
      rows.map((row) => [
        Number(row.oid),
        {
          oid: Number(row.oid),
          name: row.name,
          qualified: row.qualified,
          kind: row.kind,
          relfilenode: Number(row.relfilenode),
        },
      ]),
    ),
    nextXid: Number(xid[0]?.next ?? 0),
  };
}

/** A table that existed before the migration and had rows written or its storage replaced by it. */
export interface RewrittenTable {
  table: string;
  /** Rows whose current version the migration wrote (all rows, for a full rewrite). */
  rows: number;
  /** The table's storage was replaced (ALTER COLUMN TYPE, SET ... with a rewrite, VACUUM FULL, CLUSTER). */
  fullRewrite: boolean;
}

/**
 * Compares the tables of `before` with the database now: per table that still exists, a
 * changed `relfilenode` is a full rewrite (every row counted), otherwise the rows whose
 * `xmin` falls between the two snapshots were written by the migration (UPDATE, INSERT).
 */
export async function rewrittenTables(
  client: SqlClient,
  before: RelationSnapshot,
  after: RelationSnapshot,
): Promise<RewrittenTable[]> {
  const results: RewrittenTable[] = [];
  for (const relation of before.relations.values()) {
    if (relation.kind !== 'r' && relation.kind !== 'm') continue;
    const now = after.relations.get(relation.oid);
    if (!now) continue;
    const fullRewrite = now.relfilenode !== relation.relfilenode;
    // xmin wraps at 2^32: when the counter wrapped between the snapshots the range does too.
    const wrapped = after.nextXid < before.nextXid;
    const { rows } = await client.query<{ count: string }>(
      fullRewrite
        ? `select count(*) as count from ${now.qualified}`
        : `select count(*) as count from ${now.qualified}
           where ${wrapped ? '(xmin::text::bigint >= $1 or xmin::text::bigint < $2)' : '(xmin::text::bigint >= $1 and xmin::text::bigint < $2)'}`,
      fullRewrite ? [] : [before.nextXid, after.nextXid],
    );
    const count = Number(rows[0]?.count ?? 0);
    if (fullRewrite || count > 0) results.push({ table: relation.name, rows: count, fullRewrite });
  }
  return results;
}
