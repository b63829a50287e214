import { DatabaseError, mapDatabaseError } from '@strata/errors';

/**
 * The serialization failure or deadlock behind `error`, if any: the error itself, or one in
 * its `cause` chain (code that wraps a database error still gets the retry). Driver errors
 * are mapped to Strata's typed errors first.
 */
export function retryableCause(error: unknown): DatabaseError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    const mapped = mapDatabaseError(current);
    if (mapped instanceof DatabaseError && mapped.retryable) return mapped;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Records a failed ROLLBACK on the error that caused it, as `rollbackError`, so the
 * original error is still what the caller receives. Values that cannot carry a property
 * (strings, frozen objects) are left alone.
 */
export function attachRollbackError(error: unknown, rollbackError: unknown): void {
  if (typeof error !== 'object' || error === null || !Object.isExtensible(error)) return;
  if ((error as { rollbackError?: unknown }).rollbackError !== undefined) return;
  Object.defineProperty(error, 'rollbackError', {
    value: mapDatabaseError(rollbackError),
    enumerable: true,
    configurable: true,
    writable: true,
  });
}
