import type { SortDirection } from './order-by.js';

/** A sort key as SQL sees it. */
export interface KeysetColumn {
  /** Qualified column name, passed to Knex as an identifier binding. */
  column: string;
  direction: SortDirection;
  /** Whether the column can hold NULL (then NULL sorts last ascending, first descending). */
  nullable: boolean;
}

/** A SQL fragment with Knex bindings (`??` identifiers, `?` values). */
export interface SqlFragment {
  sql: string;
  bindings: unknown[];
}

/**
 * The condition "row comes after `values`" in the order of `keys` (PostgreSQL's default NULL
 * placement: last when ascending, first when descending). Values are the text PostgreSQL printed
 * for the previous page's last row; as untyped parameters they take the column's type, so
 * timestamps keep their microseconds and numerics their digits.
 *
 * When every key runs the same direction and none is nullable, it is a row comparison
 * `(a, b, id) > ($1, $2, $3)`, which a composite index answers directly; otherwise it expands to
 * `a > $1 OR (a = $1 AND (b > $2 OR (b = $2 AND id > $3)))` with NULL handling.
 */
export function keysetCondition(
  keys: readonly KeysetColumn[],
  values: readonly (string | null)[],
): SqlFragment {
  const first = keys[0];
  if (
    first &&
    keys.every((key) => key.direction === first.direction && !key.nullable) &&
    values.every((value) => value !== null)
  ) {
    const placeholders = keys.map(() => '??').join(', ');
    const operator = first.direction === 'asc' ? '>' : '<';
    return {
      sql: `(${placeholders}) ${operator} (${keys.map(() => '?').join(', ')})`,
      bindings: [...keys.map((key) => key.column), ...values],
    };
  }
  return expand(keys, values, 0);
}

function expand(
  keys: readonly KeysetColumn[],
  values: readonly (string | null)[],
  index: number,
): SqlFragment {
  const key = keys[index];
  if (!key) return { sql: 'false', bindings: [] };
  const value = values[index] ?? null;
  const after = strictlyAfter(key, value);
  const rest = index + 1 < keys.length ? expand(keys, values, index + 1) : undefined;
  const parts: SqlFragment[] = [];
  if (after) parts.push(after);
  if (rest) {
    const equal: SqlFragment =
      value === null
        ? { sql: '?? is null', bindings: [key.column] }
        : { sql: '?? = ?', bindings: [key.column, value] };
    parts.push({ sql: `(${equal.sql} and ${rest.sql})`, bindings: [...equal.bindings, ...rest.bindings] });
  }
  if (parts.length === 0) return { sql: 'false', bindings: [] };
  return {
    sql:
      parts.length === 1 ? (parts[0] as SqlFragment).sql : `(${parts.map((part) => part.sql).join(' or ')})`,
    bindings: parts.flatMap((part) => part.bindings),
  };
}

// Rows whose value for this key sorts strictly after `value`.
function strictlyAfter(key: KeysetColumn, value: string | null): SqlFragment | undefined {
  if (key.direction === 'asc') {
    // Ascending: NULLs come last, so nothing sorts after a NULL, and every NULL sorts after a value.
    if (value === null) return undefined;
    return key.nullable
      ? { sql: '(?? > ? or ?? is null)', bindings: [key.column, value, key.column] }
      : { sql: '?? > ?', bindings: [key.column, value] };
  }
  // Descending: NULLs come first, so every value sorts after a NULL.
  if (value === null) return { sql: '?? is not null', bindings: [key.column] };
  return { sql: '?? < ?', bindings: [key.column, value] };
}
