import { blocksWrites, lockModeSql, lockRank } from '@strata/migrate';
import type { RewrittenTable } from './relation-snapshot.js';

/** A lock a migration held on a relation that existed before it. */
export interface ObservedLock {
  relation: string;
  /** Locks on indexes come with a lock on their table; verdicts judge the table's. */
  relationKind: 'table' | 'index';
  /** As pg_locks names it, e.g. `AccessExclusiveLock`. */
  mode: string;
  /**
   * `observed`: the sampler saw the migrator's session hold it. `statement`: known from the
   * statement (`statementLocks`), held too briefly for a sample to catch (a DROP TABLE).
   */
  source: 'observed' | 'statement';
  /**
   * From the first sample that saw it until it was released (the commit, for a transactional
   * migration); null for a lock known only from the statement: shorter than a sample interval.
   */
  heldMs: number | null;
}

export type Verdict = 'pass' | 'warn' | 'fail';

/** The thresholds a rehearsal judges migrations by. */
export interface RehearsalThresholds {
  /** A write-blocking lock (SHARE or stronger) held longer than this fails the migration. */
  maxBlockingMs: number;
}

/**
 * Judges one rehearsed migration:
 * - `fail` when it failed, or held a lock that blocks writes (SHARE or stronger; ACCESS
 *   EXCLUSIVE blocks reads too) on an existing relation for longer than `maxBlockingMs`;
 * - `warn` when it rewrote a whole existing table within the threshold: the time grows with
 *   the table, so production may cross it where the rehearsal's row count did not;
 * - `pass` otherwise.
 */
export function judgeMigration(
  measured: {
    locks: readonly ObservedLock[];
    rewritten: readonly RewrittenTable[];
    error: string | undefined;
  },
  thresholds: RehearsalThresholds,
): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  let verdict: Verdict = 'pass';
  if (measured.error !== undefined) {
    verdict = 'fail';
    reasons.push(`the migration failed: ${measured.error}`);
  }
  const judged = new Set<string>();
  // Strongest first, so each table is judged by its strongest lock only.
  const locks = [...measured.locks].sort(
    (a, b) => lockRank(b.mode) - lockRank(a.mode) || (b.heldMs ?? 0) - (a.heldMs ?? 0),
  );
  for (const lock of locks) {
    if (lock.relationKind !== 'table' || judged.has(lock.relation)) continue;
    if (!blocksWrites(lock.mode) || lock.heldMs === null || lock.heldMs <= thresholds.maxBlockingMs) continue;
    judged.add(lock.relation);
    verdict = 'fail';
    const blocked = lockRank(lock.mode) === lockRank('AccessExclusiveLock') ? 'reads and writes' : 'writes';
    reasons.push(
      `${lockModeSql(lock.mode)} on ${lock.relation} held ${Math.round(lock.heldMs)} ms (more than ${thresholds.maxBlockingMs} ms): ${blocked} to it wait that long`,
    );
  }
  for (const table of measured.rewritten) {
    if (!table.fullRewrite) continue;
    if (verdict === 'pass') verdict = 'warn';
    reasons.push(
      `rewrote all ${table.rows} rows of ${table.table}: the time (and its lock) grows with the table`,
    );
  }
  return { verdict, reasons };
}

/** The worst of several verdicts. */
export const worstVerdict = (verdicts: readonly Verdict[]): Verdict =>
  verdicts.includes('fail') ? 'fail' : verdicts.includes('warn') ? 'warn' : 'pass';
