import type { Queryable } from './migration-history.js';
import { quotedRelation, type StatementLock } from './statement-locks.js';
import { TABLE_LOCK_MODES, type TableLockMode } from './table-lock-mode.js';

/** A statement lock placed on a relation of this database. */
export interface LockedRelation {
  oid: number;
  /** `schema.name`. */
  relation: string;
  /** `r` table, `p` partitioned table, `i` index, `m` materialized view, ... (`pg_class.relkind`). */
  kind: string;
  mode: TableLockMode;
  /** What takes it, from the statement: `DROP TABLE orders`. */
  what: string;
  /** The statement names this relation; false for the table of a named index and a foreign-key partner. */
  named: boolean;
  /** The statement removes this relation (DROP TABLE, DROP INDEX, ...). */
  drops: boolean;
}

/**
 * Where `locks` (from `statementLocks`) land in this database, read from the catalog: each
 * named relation that exists (as the session's search_path resolves it), the table of a named
 * index too, and for DROP TABLE the tables its foreign keys join. Relations that do not
 * exist yet (created earlier in the same migration) are left out. Named relations come first.
 */
export async function lockedRelations(
  db: Queryable,
  locks: readonly StatementLock[],
): Promise<LockedRelation[]> {
  if (locks.length === 0) return [];
  const wanted = locks.map((lock) => ({
    regclass: quotedRelation(lock.relation),
    mode: lock.mode,
    index_table_mode: lock.indexTableMode ?? lock.mode,
    partners: lock.foreignKeyPartners === true,
    what: lock.what,
    drops: lock.drops === true,
  }));
  const { rows } = await db.query(
    `with wanted as (
       select to_regclass(w.regclass) as oid, w.mode, w.index_table_mode, w.partners, w.what, w.drops
       from jsonb_to_recordset($1::jsonb)
         as w(regclass text, mode text, index_table_mode text, partners boolean, what text, drops boolean)
     ), targets as (
       select oid, mode, what, true as named, drops from wanted where oid is not null
       union all
       select i.indrelid, w.index_table_mode, w.what, false, false
       from wanted w join pg_index i on i.indexrelid = w.oid
       union all
       select f.partner, $2, w.what, false, false from wanted w
       cross join lateral (
         select confrelid as partner from pg_constraint where contype = 'f' and conrelid = w.oid
         union
         select conrelid from pg_constraint where contype = 'f' and confrelid = w.oid
       ) f
       where w.partners and f.partner <> w.oid
     )
     select distinct t.oid::int8 as oid, n.nspname || '.' || c.relname as relation, c.relkind::text as kind,
            t.mode, t.what, t.named, t.drops
     from targets t join pg_class c on c.oid = t.oid join pg_namespace n on n.oid = c.relnamespace
     order by t.named desc, relation, t.mode`,
    [JSON.stringify(wanted), TABLE_LOCK_MODES[TABLE_LOCK_MODES.length - 1]],
  );
  return rows.map((row) => ({
    oid: Number(row.oid),
    relation: String(row.relation),
    kind: String(row.kind),
    mode: row.mode as TableLockMode,
    what: String(row.what),
    named: row.named === true,
    drops: row.drops === true,
  }));
}
