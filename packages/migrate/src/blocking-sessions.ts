import { lockedRelations } from './locked-relations.js';
import type { Queryable } from './migration-history.js';
import type { StatementLock } from './statement-locks.js';
import { conflictingLockModes, type TableLockMode } from './table-lock-mode.js';

/** A lock a blocking session holds, or waits for, on a relation the migration needs. */
export interface BlockingLock {
  /** `schema.name`. */
  relation: string;
  mode: TableLockMode;
  /** False when the session is itself queued for the lock. */
  granted: boolean;
}

/** Another session that a migration's lock request would wait for, and so queue readers behind. */
export interface BlockingSession {
  /** Backend pid; null for a prepared transaction (see pg_prepared_xacts). */
  pid: number | null;
  applicationName: string;
  /** `client backend`, `autovacuum worker`, ... */
  backendType: string;
  /** `active`, `idle in transaction`, ... */
  state: string;
  /** How long its transaction has been open; null when unknown. */
  transactionAgeMs: number | null;
  /** Its current (or, when idle, last) statement: at most 200 characters, passwords masked. */
  query: string;
  locks: BlockingLock[];
}

const QUERY_LENGTH = 200;

/**
 * The statement text of another session, safe for a log: `PASSWORD '…'` clauses and passwords
 * in connection URLs masked, whitespace collapsed, cut to 200 characters.
 */
export function redactQuery(query: string): string {
  const masked = query
    .replace(/(\bpassword\s*(?:=\s*)?)('(?:[^']|'')*'|"(?:[^"]|"")*"|[^\s,;)]+)/gi, "$1'***'")
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@]*@/gi, '$1***@')
    .replace(/\s+/g, ' ')
    .trim();
  return masked.length > QUERY_LENGTH ? `${masked.slice(0, QUERY_LENGTH - 1)}…` : masked;
}

interface LockRow {
  pid: number | null;
  mode: string;
  granted: boolean;
  relation: string;
  application_name: string;
  backend_type: string;
  state: string;
  transaction_age_ms: number | null;
  query: string;
}

/**
 * The sessions whose locks would make the migration's lock requests wait: for each lock in
 * `wanted`, where it lands (`lockedRelations`), every other session that holds a conflicting lock in a
 * transaction open at least `minTransactionAgeMs`, or that is queued for a conflicting lock
 * (a request made now would queue behind it). Younger holders are left out: an ordinary
 * short transaction ends within the first attempt's lock_timeout. Oldest transaction first.
 */
export async function blockingSessions(
  db: Queryable,
  wanted: readonly StatementLock[],
  minTransactionAgeMs: number,
): Promise<BlockingSession[]> {
  const targets = (await lockedRelations(db, wanted)).map((target) => ({
    oid: target.oid,
    conflicts: conflictingLockModes(target.mode),
  }));
  if (targets.length === 0) return [];
  const { rows } = await db.query(
    `with targets as (
       select t.oid::oid as oid, t.conflicts from jsonb_to_recordset($1::jsonb) as t(oid int8, conflicts text[])
     )
     select l.pid, l.mode, l.granted, n.nspname || '.' || c.relname as relation,
            coalesce(a.application_name, '') as application_name,
            coalesce(a.backend_type, '') as backend_type, coalesce(a.state, '') as state,
            (extract(epoch from clock_timestamp() - a.xact_start) * 1000)::float8 as transaction_age_ms,
            coalesce(a.query, '') as query
     from pg_locks l
     join targets t on l.locktype = 'relation' and l.relation = t.oid and l.mode = any(t.conflicts)
     join pg_class c on c.oid = l.relation
     join pg_namespace n on n.oid = c.relnamespace
     left join pg_stat_activity a on a.pid = l.pid
     where l.database = (select oid from pg_database where datname = current_database())
       and l.pid is distinct from pg_backend_pid()
       and (not l.granted or a.xact_start is null
            or a.xact_start <= clock_timestamp() - $2::float8 * interval '1 millisecond')`,
    [JSON.stringify(targets), minTransactionAgeMs],
  );
  return sessionsOf(rows as unknown as LockRow[]);
}

function sessionsOf(rows: readonly LockRow[]): BlockingSession[] {
  const byPid = new Map<string, BlockingSession>();
  for (const row of rows) {
    const key = row.pid === null ? `prepared:${row.transaction_age_ms}` : String(row.pid);
    let session = byPid.get(key);
    if (!session) {
      session = {
        pid: row.pid === null ? null : Number(row.pid),
        applicationName: row.application_name,
        backendType: row.backend_type,
        state: row.state,
        transactionAgeMs: row.transaction_age_ms === null ? null : Math.round(row.transaction_age_ms),
        query: redactQuery(row.query),
        locks: [],
      };
      byPid.set(key, session);
    }
    const lock = { relation: row.relation, mode: row.mode as TableLockMode, granted: row.granted };
    if (
      !session.locks.some(
        (seen) => seen.relation === lock.relation && seen.mode === lock.mode && seen.granted === lock.granted,
      )
    ) {
      session.locks.push(lock);
    }
  }
  return [...byPid.values()].sort(
    (a, b) =>
      (b.transactionAgeMs ?? Number.MAX_SAFE_INTEGER) - (a.transactionAgeMs ?? Number.MAX_SAFE_INTEGER),
  );
}

/** `pid 4242 ("reports", idle in transaction, transaction open 12.3 s): select …` — for messages. */
export function describeBlocker(session: BlockingSession): string {
  const who = session.pid === null ? 'a prepared transaction' : `pid ${session.pid}`;
  const details = [
    session.applicationName ? `"${session.applicationName}"` : '',
    session.backendType && session.backendType !== 'client backend' ? session.backendType : '',
    session.state,
    session.transactionAgeMs === null
      ? ''
      : `transaction open ${(session.transactionAgeMs / 1000).toFixed(1)} s`,
    session.locks
      .map((lock) => `${lock.granted ? 'holds' : 'waits for'} ${lock.mode} on ${lock.relation}`)
      .join(', '),
  ].filter(Boolean);
  return `${who} (${details.join('; ')})${session.query ? `: ${session.query}` : ''}`;
}
