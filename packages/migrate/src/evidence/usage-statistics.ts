import { quoteIdentifier } from '@strata/errors';
import type { Queryable } from '../migration-history.js';

/** One entry of pg_stat_statements for this database. */
export interface RecordedStatement {
  /** `userid/queryid/toplevel`: what pg_stat_statements keys an entry by (with the database). */
  key: string;
  queryid: string;
  calls: number;
  /** The normalised text (`$1` for constants); `<insufficient privilege>` for other roles' statements without pg_read_all_stats. */
  query: string;
}

/** pg_stat_statements as this session can read it, or why it cannot. */
export type StatementStatistics =
  | { available: true; statements: RecordedStatement[]; statsReset: Date | null; dealloc: number | null }
  | { available: false; reason: string };

/** Scans of one index, from pg_stat_user_indexes. */
export interface IndexUsage {
  id: string;
  index: string;
  table: string;
  scans: number;
  /** `last_idx_scan` (PostgreSQL 16+); null before, or when never scanned. */
  lastScan: Date | null;
}

/**
 * What a deploy mark stores (the deploy table's `evidence` column): how often each
 * statement had been called and each index scanned at that moment. The evidence check
 * subtracts it from the current counters to get what ran since the mark.
 */
export interface EvidenceSnapshot {
  version: 1;
  takenAt: string;
  /** `[key, calls]` per pg_stat_statements entry; null when the extension was unavailable. */
  statements: [string, number][] | null;
  statementsUnavailable: string | null;
  /** pg_stat_statements_info: a reset after the mark makes every current call one since the mark. */
  statsReset: string | null;
  /** Entries evicted so far (pg_stat_statements.max); more later means counts may be low. */
  dealloc: number | null;
  /** `[indexrelid, idx_scan]` per user index. */
  indexes: [string, number][];
}

const HIDDEN = '<insufficient privilege>';

/** Whether pg_stat_statements hid a statement's text from this role. */
export const isHiddenText = (query: string): boolean => query === HIDDEN;

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Reads this database's entries of pg_stat_statements. Unavailable, with the reason, when the
 * extension is not created in the database, not loaded through shared_preload_libraries, or
 * not readable by this role.
 */
export async function readStatementStatistics(db: Queryable): Promise<StatementStatistics> {
  const { rows } = await db.query(
    `select n.nspname as schema,
            exists (select 1 from pg_attribute a
                    where a.attrelid = to_regclass(quote_ident(n.nspname) || '.pg_stat_statements')
                      and a.attname = 'toplevel' and not a.attisdropped) as has_toplevel,
            to_regclass(quote_ident(n.nspname) || '.pg_stat_statements_info') is not null as has_info
     from pg_extension e join pg_namespace n on n.oid = e.extnamespace
     where e.extname = 'pg_stat_statements'`,
  );
  const extension = rows[0];
  if (extension === undefined) {
    return {
      available: false,
      reason:
        'the pg_stat_statements extension is not created in this database (CREATE EXTENSION pg_stat_statements, with pg_stat_statements in shared_preload_libraries)',
    };
  }
  const schema = quoteIdentifier(String(extension.schema));
  const toplevel = extension.has_toplevel === true ? 'toplevel' : 'true';
  try {
    const statements = await db.query(
      `select userid::bigint::text || '/' || queryid::text || '/' || ${toplevel}::text as key,
              queryid::text as queryid, calls, query
       from ${schema}.pg_stat_statements
       where dbid = (select oid from pg_database where datname = current_database()) and queryid is not null`,
    );
    const info =
      extension.has_info === true
        ? (await db.query(`select stats_reset, dealloc from ${schema}.pg_stat_statements_info`)).rows[0]
        : undefined;
    return {
      available: true,
      statements: statements.rows.map((row) => ({
        key: String(row.key),
        queryid: String(row.queryid),
        calls: Number(row.calls),
        query: String(row.query ?? HIDDEN),
      })),
      statsReset: (info?.stats_reset as Date | undefined) ?? null,
      dealloc: info?.dealloc === undefined ? null : Number(info.dealloc),
    };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      available: false,
      reason:
        code === '55000'
          ? 'pg_stat_statements is not loaded: add it to shared_preload_libraries and restart the server'
          : `pg_stat_statements cannot be read (${errorText(error)})`,
    };
  }
}

/** Scans of the user indexes (all, or those with these oids), from pg_stat_user_indexes. */
export async function readIndexUsage(db: Queryable, ids?: readonly string[]): Promise<IndexUsage[]> {
  // to_jsonb: last_idx_scan exists from PostgreSQL 16 on.
  const { rows } = await db.query(
    `select s.indexrelid::bigint::text as id, s.schemaname || '.' || s.indexrelname as index,
            s.schemaname || '.' || s.relname as table, s.idx_scan,
            (to_jsonb(s) ->> 'last_idx_scan')::timestamptz as last_scan
     from pg_stat_user_indexes s
     where $1::oid[] is null or s.indexrelid = any($1::oid[])`,
    [ids === undefined ? null : [...ids]],
  );
  return rows.map((row) => ({
    id: String(row.id),
    index: String(row.index),
    table: String(row.table),
    scans: Number(row.idx_scan),
    lastScan: (row.last_scan as Date | null) ?? null,
  }));
}

/** The database's clock, so every time in a report comes from one clock. */
export async function databaseNow(db: Queryable): Promise<Date> {
  const { rows } = await db.query('select clock_timestamp() as now');
  return rows[0]?.now as Date;
}

/** Takes the snapshot `markDeploy` stores with a deploy. */
export async function takeEvidenceSnapshot(db: Queryable): Promise<EvidenceSnapshot> {
  const takenAt = await databaseNow(db);
  const statistics = await readStatementStatistics(db);
  const indexes = await readIndexUsage(db);
  return {
    version: 1,
    takenAt: takenAt.toISOString(),
    statements: statistics.available
      ? statistics.statements.map((statement) => [statement.key, statement.calls])
      : null,
    statementsUnavailable: statistics.available ? null : statistics.reason,
    statsReset: statistics.available ? (statistics.statsReset?.toISOString() ?? null) : null,
    dealloc: statistics.available ? statistics.dealloc : null,
    indexes: indexes.map((index) => [index.id, index.scans]),
  };
}

/** A stored snapshot, checked; undefined when it is not one this version wrote. */
export function readEvidenceSnapshot(value: unknown): EvidenceSnapshot | undefined {
  const snapshot = value as Partial<EvidenceSnapshot> | null;
  if (snapshot?.version !== 1 || typeof snapshot.takenAt !== 'string' || !Array.isArray(snapshot.indexes)) {
    return undefined;
  }
  return snapshot as EvidenceSnapshot;
}

/** What `markDeploy` reports about the snapshot it stored. */
export function snapshotSummary(
  snapshot: EvidenceSnapshot,
): { statements: number; indexes: number } | { unavailable: string } {
  return snapshot.statements === null
    ? { unavailable: snapshot.statementsUnavailable ?? 'pg_stat_statements is unavailable' }
    : { statements: snapshot.statements.length, indexes: snapshot.indexes.length };
}
