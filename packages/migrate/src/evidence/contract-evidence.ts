import { quoteQualifiedName } from '@strata/errors';
import type { Node } from 'libpg-query';
import { catalogTable, DEFAULT_SMALL_TABLE, readCatalogTables, relationsIn } from '../lint/table-catalog.js';
import type { MigrationFile } from '../migration-file.js';
import type { MigrationHistory, Queryable } from '../migration-history.js';
import type { MigrationPhase } from '../migration-phase.js';
import { parseSql, SqlSyntaxError } from '../sql-parser.js';
import { type DroppedObject, describeDropped, droppedObjects } from './dropped-objects.js';
import {
  type ColumnsOf,
  isApplicationStatement,
  type ReferenceTargets,
  type StatementReference,
  statementReferences,
} from './statement-references.js';
import {
  databaseNow,
  type EvidenceSnapshot,
  isHiddenText,
  readEvidenceSnapshot,
  readIndexUsage,
  readStatementStatistics,
  type StatementStatistics,
} from './usage-statistics.js';

/** A statement recorded since the deploy mark that uses what the migration removes. */
export interface EvidenceStatement {
  queryid: string;
  /** The normalised text pg_stat_statements keeps (`$1` for constants). */
  query: string;
  callsSinceMark: number;
  /** What it uses, and how: `{ target: 'drop column invoices.old_currency', usage: 'sets invoices.old_currency' }`. */
  uses: StatementReference[];
  /**
   * When it last ran, as closely as the statistics tell: after the mark and no later than
   * the check (pg_stat_statements keeps no time per statement).
   */
  lastSeen: { after: Date; notAfter: Date };
}

/** Scans since the mark of an index the migration drops. */
export interface EvidenceIndexScans {
  target: string;
  index: string;
  table: string;
  scansSinceMark: number;
  /** `pg_stat_user_indexes.last_idx_scan` (PostgreSQL 16+), else null. */
  lastScan: Date | null;
}

/**
 * What the database says about a migration's removals: `in-use` when statements recorded
 * since the deploy mark use them (or a dropped index was scanned), `clear` when none did,
 * `unavailable` (with `reason`) when there is no evidence to judge by.
 */
export interface ContractEvidence {
  migration: string;
  fileName: string;
  phase: MigrationPhase;
  verdict: 'clear' | 'in-use' | 'unavailable';
  reason: string | null;
  /** The deploy mark whose snapshot the counters are compared with. */
  deploy: { id: number; release: string; markedAt: Date } | null;
  /** The window observed: from the snapshot to now. */
  observedFrom: Date | null;
  observedTo: Date;
  /** What the migration removes, e.g. `drop column invoices.old_currency (line 2)`. */
  removes: string[];
  statements: EvidenceStatement[];
  indexScans: EvidenceIndexScans[];
  notes: string[];
}

interface ResolvedTargets {
  targets: ReferenceTargets;
  indexes: { id: string; label: string }[];
  notes: string[];
}

const quoted = (name: string): string | undefined => {
  try {
    return quoteQualifiedName(name);
  } catch {
    return undefined;
  }
};

async function qualifiedRelation(db: Queryable, name: string): Promise<string> {
  const { rows } = await db.query(
    `select n.nspname || '.' || c.relname as name
     from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = to_regclass($1)`,
    [quoted(name) ?? name],
  );
  return rows[0] === undefined ? name : String(rows[0].name);
}

async function indexByOid(db: Queryable, oid: string) {
  const { rows } = await db.query(
    `select i.indexrelid::bigint::text as id, n.nspname || '.' || ic.relname as index,
            tn.nspname || '.' || t.relname as table, i.indisunique as unique,
            array(select a.attname::text from unnest(i.indkey::int2[]) with ordinality k(attnum, ord)
                  left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                  where k.ord <= i.indnkeyatts order by k.ord) as columns,
            (select c.conname from pg_constraint c where c.conindid = i.indexrelid and c.conrelid = i.indrelid limit 1) as constraint
     from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_namespace n on n.oid = ic.relnamespace
     join pg_class t on t.oid = i.indrelid join pg_namespace tn on tn.oid = t.relnamespace
     where i.indexrelid = $1::oid`,
    [oid],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    id: String(row.id),
    index: String(row.index),
    table: String(row.table),
    unique: row.unique === true,
    columns: (row.columns as (string | null)[]).filter((column): column is string => column !== null),
    constraint: row.constraint === null ? undefined : String(row.constraint),
  };
}

// The catalog behind each removal: qualified tables, and the index behind a dropped index or
// unique constraint (its columns decide which ON CONFLICT clauses infer it).
async function resolveTargets(db: Queryable, dropped: readonly DroppedObject[]): Promise<ResolvedTargets> {
  const tables: { table: string; label: string }[] = [];
  const columns: { table: string; column: string; label: string }[] = [];
  const uniqueIndexes: ReferenceTargets['uniqueIndexes'][number][] = [];
  const indexes: { id: string; label: string }[] = [];
  const notes: string[] = [];
  for (const object of dropped) {
    const label = describeDropped(object);
    if (object.kind === 'table') tables.push({ table: await qualifiedRelation(db, object.table), label });
    if (object.kind === 'column') {
      columns.push({ table: await qualifiedRelation(db, object.table), column: object.column, label });
    }
    if (object.kind !== 'index' && object.kind !== 'constraint') continue;
    const { rows } =
      object.kind === 'index'
        ? await db.query('select to_regclass($1)::oid::bigint::text as oid', [
            quoted(object.index) ?? object.index,
          ])
        : await db.query(
            `select conindid::bigint::text as oid from pg_constraint
             where conrelid = to_regclass($1) and conname = $2 and contype in ('u', 'p', 'x') and conindid <> 0`,
            [quoted(object.table) ?? object.table, object.constraint],
          );
    const index = rows[0]?.oid ? await indexByOid(db, String(rows[0].oid)) : undefined;
    if (index === undefined) {
      notes.push(
        object.kind === 'index'
          ? `${label}: no such index in this database; not judged`
          : `${label}: not a unique, primary key or exclusion constraint here; queries do not name it, so it is not judged`,
      );
      continue;
    }
    const names = [
      index.index.slice(index.index.indexOf('.') + 1),
      ...(index.constraint ? [index.constraint] : []),
    ];
    // A rename breaks only what names it; a drop also what infers it, and slows what scans it.
    const renamed = object.removal !== 'drop';
    if (index.unique) {
      uniqueIndexes.push({ names, table: index.table, columns: renamed ? [] : index.columns, label });
    }
    if (!renamed) indexes.push({ id: index.id, label });
  }
  return { targets: { tables, columns, uniqueIndexes }, indexes, notes };
}

// Calls since the mark: everything when the statistics were reset after it, or when the
// entry is new or was evicted and re-created since (its counter restarted).
function callsSince(
  snapshot: EvidenceSnapshot,
  statistics: Extract<StatementStatistics, { available: true }>,
) {
  const before = new Map(snapshot.statements ?? []);
  const resetSince =
    statistics.statsReset !== null && statistics.statsReset.getTime() > Date.parse(snapshot.takenAt);
  return (key: string, calls: number): number => {
    const earlier = before.get(key);
    if (resetSince || earlier === undefined || calls < earlier) return calls;
    return calls - earlier;
  };
}

/**
 * Gathers the evidence for each migration: what it removes (from its parsed SQL), and which
 * statements recorded by pg_stat_statements since the latest deploy mark with a snapshot use
 * it — each recorded statement's normalised text parsed and resolved (see
 * `statementReferences`) — and how often a dropped index was scanned since. Reads only.
 */
export async function gatherContractEvidence(
  db: Queryable,
  history: MigrationHistory,
  files: readonly MigrationFile[],
): Promise<ContractEvidence[]> {
  const now = await databaseNow(db);
  const stored = await history.latestEvidenceSnapshot(db);
  const snapshot = readEvidenceSnapshot(stored?.snapshot);
  let statistics: StatementStatistics | undefined;
  const reports: ContractEvidence[] = [];
  for (const file of files) {
    const report: ContractEvidence = {
      migration: file.name,
      fileName: file.fileName,
      phase: file.phase,
      verdict: 'clear',
      reason: null,
      deploy: stored ? { id: stored.deployId, release: stored.release, markedAt: stored.markedAt } : null,
      observedFrom: snapshot ? new Date(snapshot.takenAt) : null,
      observedTo: now,
      removes: [],
      statements: [],
      indexScans: [],
      notes: [],
    };
    reports.push(report);
    const unavailable = (reason: string): void => {
      report.verdict = 'unavailable';
      report.reason = reason;
    };
    if (file.sql === undefined) {
      unavailable(
        `${file.fileName} is a module: the check reads SQL, so it cannot tell what this migration removes`,
      );
      continue;
    }
    const dropped = droppedObjects(file.sql.up.statements);
    report.removes = dropped.map((object) => `${describeDropped(object)} (line ${object.line})`);
    if (dropped.length === 0) {
      report.notes.push('removes no table, view, column, index or constraint; nothing to judge');
      continue;
    }
    if (stored === undefined || snapshot === undefined) {
      unavailable(
        'no deploy was marked with a statistics snapshot (`deploy mark` takes one while pg_stat_statements is available); mark the deploy again and let the application run before this check',
      );
      continue;
    }
    if (snapshot.statements === null) {
      unavailable(
        `deploy ${stored.release} was marked while ${snapshot.statementsUnavailable ?? 'pg_stat_statements was unavailable'}; mark the deploy again once it is available`,
      );
      continue;
    }
    statistics ??= await readStatementStatistics(db);
    if (!statistics.available) {
      unavailable(statistics.reason);
      continue;
    }
    await judge(db, report, dropped, snapshot, statistics);
  }
  return reports;
}

async function judge(
  db: Queryable,
  report: ContractEvidence,
  dropped: readonly DroppedObject[],
  snapshot: EvidenceSnapshot,
  statistics: Extract<StatementStatistics, { available: true }>,
): Promise<void> {
  const { targets, indexes, notes } = await resolveTargets(db, dropped);
  report.notes.push(...notes);
  const since = callsSince(snapshot, statistics);
  const recent = statistics.statements
    .map((statement) => ({ ...statement, callsSinceMark: since(statement.key, statement.calls) }))
    .filter((statement) => statement.callsSinceMark > 0);
  const hidden = recent.filter((statement) => isHiddenText(statement.query));
  if (hidden.length > 0) {
    report.verdict = 'unavailable';
    report.reason = `${hidden.length} statement(s) run since the mark by other roles are hidden from this role; grant it pg_read_all_stats so their text can be judged`;
    return;
  }
  // First without column knowledge (every possible use), then with the catalog's columns
  // of the relations those statements name, which settles unqualified names.
  const candidates: { statement: (typeof recent)[number]; node: Node }[] = [];
  let unparsed = 0;
  for (const statement of recent) {
    let nodes: Node[];
    try {
      nodes = ((await parseSql(statement.query)).stmts ?? []).flatMap((raw) =>
        raw.stmt ? [raw.stmt as Node] : [],
      );
    } catch (error) {
      if (!(error instanceof SqlSyntaxError)) throw error;
      unparsed += 1;
      continue;
    }
    for (const node of nodes) {
      if (isApplicationStatement(node) && statementReferences(node, targets).length > 0) {
        candidates.push({ statement, node });
      }
    }
  }
  if (unparsed > 0) {
    report.notes.push(
      `${unparsed} recorded statement(s) could not be parsed by PostgreSQL 17's parser; not judged`,
    );
  }
  const catalog = {
    tables: await readCatalogTables(db, [...new Set(candidates.flatMap(({ node }) => relationsIn(node)))]),
    smallTable: DEFAULT_SMALL_TABLE,
  };
  const columnsOf: ColumnsOf = (table) => {
    const known = catalogTable(catalog, table);
    return known === undefined ? undefined : new Set(known.columns.map((column) => column.name));
  };
  for (const { statement, node } of candidates) {
    const uses = statementReferences(node, targets, columnsOf);
    if (uses.length === 0) continue;
    report.statements.push({
      queryid: statement.queryid,
      query: statement.query,
      callsSinceMark: statement.callsSinceMark,
      uses,
      lastSeen: { after: new Date(snapshot.takenAt), notAfter: report.observedTo },
    });
  }
  report.statements.sort((a, b) => b.callsSinceMark - a.callsSinceMark);
  if (indexes.length > 0) {
    const before = new Map(snapshot.indexes);
    for (const usage of await readIndexUsage(
      db,
      indexes.map((index) => index.id),
    )) {
      const earlier = before.get(usage.id);
      const scans = earlier === undefined || usage.scans < earlier ? usage.scans : usage.scans - earlier;
      const target = indexes.find((index) => index.id === usage.id)?.label ?? usage.index;
      report.indexScans.push({
        target,
        index: usage.index,
        table: usage.table,
        scansSinceMark: scans,
        lastScan: usage.lastScan,
      });
    }
  }
  if (statistics.dealloc !== null && snapshot.dealloc !== null && statistics.dealloc > snapshot.dealloc) {
    report.notes.push(
      `pg_stat_statements evicted ${statistics.dealloc - snapshot.dealloc} entries since the mark (pg_stat_statements.max): a statement evicted and not run again is not seen`,
    );
  }
  const inUse = report.statements.length > 0 || report.indexScans.some((scans) => scans.scansSinceMark > 0);
  report.verdict = inUse ? 'in-use' : 'clear';
}

/** The refusal `up` reports for a migration whose removals are still in use: each statement, its calls, when last seen. */
export function evidenceRefusal(report: ContractEvidence): string {
  const since = report.deploy
    ? `deploy ${report.deploy.release} was marked (${report.deploy.markedAt.toISOString()})`
    : 'the deploy mark';
  const lines = [
    ...report.statements.map(
      (statement) =>
        `"${statement.query}" — ${statement.callsSinceMark} call(s) since the mark, last seen between ${statement.lastSeen.after.toISOString()} and ${statement.lastSeen.notAfter.toISOString()}; ${statement.uses.map((use) => `${use.usage} (${use.target})`).join('; ')}`,
    ),
    ...report.indexScans
      .filter((scans) => scans.scansSinceMark > 0)
      .map(
        (scans) =>
          `index ${scans.index} — ${scans.scansSinceMark} scan(s) since the mark${scans.lastScan ? `, last at ${scans.lastScan.toISOString()}` : ''} (${scans.target})`,
      ),
  ];
  return `what it removes is still in use since ${since}:\n${lines.map((line) => `    - ${line}`).join('\n')}\n  Deploy code that no longer uses it (and let old instances stop), or run with an evidence override reason (up --override-evidence "<reason>").`;
}
