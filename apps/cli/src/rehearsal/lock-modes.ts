/** PostgreSQL's table lock modes, weakest first, as pg_locks names them. */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

/** The mode's strength: 1 (ACCESS SHARE) to 8 (ACCESS EXCLUSIVE); 0 for a name that is not a table lock mode. */
export const lockRank = (mode: string): number => LOCK_MODES.indexOf(mode as LockMode) + 1;

/**
 * True for modes that conflict with ROW EXCLUSIVE, the lock every INSERT, UPDATE and DELETE
 * takes: SHARE and stronger. While one is held, writers to the table wait (and with ACCESS
 * EXCLUSIVE, readers too).
 */
export const blocksWrites = (mode: string): boolean => lockRank(mode) >= lockRank('ShareLock');

/** `ACCESS EXCLUSIVE` for `AccessExclusiveLock`, as the documentation and LOCK TABLE spell it. */
export const lockModeSql = (mode: string): string =>
  mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
