/** PostgreSQL's table lock modes, weakest first, as pg_locks names them. */
export const TABLE_LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;

/** A table lock mode as pg_locks names it, e.g. `AccessExclusiveLock`. */
export type TableLockMode = (typeof TABLE_LOCK_MODES)[number];

// PostgreSQL's conflict table (lock.c's LockConflicts, "Conflicting Lock Modes" in the
// manual): for each mode by rank (1 = ACCESS SHARE ... 8 = ACCESS EXCLUSIVE), the ranks of
// the modes it conflicts with.
const CONFLICTING_RANKS: readonly (readonly number[])[] = [
  [8],
  [7, 8],
  [5, 6, 7, 8],
  [4, 5, 6, 7, 8],
  [3, 4, 6, 7, 8],
  [3, 4, 5, 6, 7, 8],
  [2, 3, 4, 5, 6, 7, 8],
  [1, 2, 3, 4, 5, 6, 7, 8],
];

/** The mode's strength: 1 (ACCESS SHARE) to 8 (ACCESS EXCLUSIVE); 0 for a name that is not a table lock mode. */
export const lockRank = (mode: string): number => TABLE_LOCK_MODES.indexOf(mode as TableLockMode) + 1;

/** The modes that conflict with `mode`: a session holding (or queued for) one of them makes a request for `mode` wait. */
export const conflictingLockModes = (mode: TableLockMode): TableLockMode[] =>
  (CONFLICTING_RANKS[lockRank(mode) - 1] ?? []).map((rank) => TABLE_LOCK_MODES[rank - 1] as TableLockMode);

/**
 * True for modes that conflict with ROW EXCLUSIVE, the lock every INSERT, UPDATE and DELETE
 * takes: SHARE and stronger. While one is held — or waited for — writers to the table wait
 * (and with ACCESS EXCLUSIVE, readers too).
 */
export const blocksWrites = (mode: string): boolean => lockRank(mode) >= lockRank('ShareLock');

/** `ACCESS EXCLUSIVE` for `AccessExclusiveLock`, as the documentation and LOCK TABLE spell it. */
export const lockModeSql = (mode: string): string =>
  mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();

/** `AccessExclusiveLock` for `ACCESS EXCLUSIVE` (any case, any spacing); undefined for anything else. */
export function tableLockModeOf(sql: string): TableLockMode | undefined {
  const words = sql.trim().toLowerCase().split(/\s+/);
  const name = `${words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('')}Lock`;
  return TABLE_LOCK_MODES.find((mode) => mode === name);
}
