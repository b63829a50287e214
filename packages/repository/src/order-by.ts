import { InvalidQueryError } from './repository-errors.js';

export type SortDirection = 'asc' | 'desc';

/** One sort key as a caller writes it: a field name (ascending) or a field with a direction. */
export type SortKey<F extends string = string> = F | { field: F; direction?: SortDirection };

/** `list({ orderBy })`: one sort key or several, most significant first. */
export type OrderBy<F extends string = string> = SortKey<F> | readonly SortKey<F>[];

/** A validated sort key. */
export interface ResolvedSortKey {
  field: string;
  direction: SortDirection;
}

/**
 * Normalises `orderBy` into sort keys that end with the id, so the order is total and a keyset
 * position is unique. Checking fields against the allowlist is the caller's job (it knows the
 * entity); this only rejects malformed input.
 */
export function resolveOrderBy(orderBy: OrderBy | undefined, idField: string): ResolvedSortKey[] {
  const given = orderBy === undefined ? [] : Array.isArray(orderBy) ? orderBy : [orderBy as SortKey];
  const keys: ResolvedSortKey[] = [];
  for (const [index, key] of given.entries()) {
    const field = typeof key === 'string' ? key : (key as { field?: unknown } | null)?.field;
    const direction = typeof key === 'string' ? 'asc' : ((key as { direction?: unknown }).direction ?? 'asc');
    if (typeof field !== 'string' || field === '') {
      throw new InvalidQueryError(`orderBy[${index}]`, 'give a field name or { field, direction }');
    }
    if (direction !== 'asc' && direction !== 'desc') {
      throw new InvalidQueryError(
        `orderBy[${index}].direction`,
        `must be 'asc' or 'desc', got ${String(direction)}`,
      );
    }
    if (keys.some((existing) => existing.field === field)) {
      throw new InvalidQueryError(`orderBy[${index}]`, `field "${field}" appears twice`);
    }
    keys.push({ field, direction });
    // Nothing after a unique id can change the order.
    if (field === idField) return keys;
  }
  keys.push({ field: idField, direction: keys.at(-1)?.direction ?? 'asc' });
  return keys;
}

/** The text that identifies a sort order inside a cursor, e.g. `created_at desc, id desc`. */
export function describeOrder(keys: readonly ResolvedSortKey[]): string {
  return keys.map((key) => `${key.field} ${key.direction}`).join(', ');
}
