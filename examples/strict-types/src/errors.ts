import { mapDatabaseError, quoteIdentifier, StrataError, UniqueViolationError } from '@strata/errors';

export function describe(error: unknown): string {
  const mapped = mapDatabaseError(error);
  if (mapped instanceof UniqueViolationError)
    return `duplicate: ${mapped.constraint ?? 'unknown constraint'}`;
  return mapped instanceof StrataError ? mapped.code : String(mapped);
}

export const column = quoteIdentifier('created_at');
