import { InvalidQueryError } from './repository-errors.js';
import { findUnstorableText, UNSTORABLE_TEXT_PROBLEMS } from './unstorable-text.js';

/** Comparison operators a filter value may use instead of plain equality. */
export interface Comparison<V> {
  eq?: V | null;
  ne?: V | null;
  gt?: V;
  gte?: V;
  lt?: V;
  lte?: V;
  in?: readonly V[];
}

/**
 * A filter on one field: a value (equality), `null` (IS NULL), an array (IN) or a
 * `Comparison` such as `{ gte: 10, lt: 20 }`.
 */
export type FieldFilter<V> = V | null | readonly V[] | Comparison<V>;

const OPERATORS = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
type Operator = keyof typeof OPERATORS;

/** One condition on a column, ready for a query builder. */
export type ColumnCondition =
  | { kind: 'compare'; operator: '=' | '<>' | '>' | '>=' | '<' | '<='; value: unknown }
  | { kind: 'null'; negated: boolean }
  | { kind: 'in'; values: readonly unknown[] };

/**
 * Turns one field's filter into column conditions, rejecting anything that is not one of the
 * forms above. Values stay values: they are bound as parameters by the query builder.
 */
export function parseFieldFilter(field: string, filter: unknown): ColumnCondition[] {
  // No row holds such text, and PostgreSQL would fail on a NUL: a typed error instead.
  const [unstorable] = findUnstorableText(filter, 1);
  if (unstorable) {
    throw new InvalidQueryError(`where.${field}`, `a value ${UNSTORABLE_TEXT_PROBLEMS[unstorable.reason]}`);
  }
  if (filter === null) return [{ kind: 'null', negated: false }];
  if (Array.isArray(filter)) return [{ kind: 'in', values: filter }];
  if (!isOperatorObject(filter)) return [{ kind: 'compare', operator: '=', value: filter }];
  const conditions: ColumnCondition[] = [];
  for (const [name, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (name === 'in') {
      if (!Array.isArray(value)) throw new InvalidQueryError(`where.${field}.in`, 'must be an array');
      conditions.push({ kind: 'in', values: value });
    } else if (name in OPERATORS) {
      const operator = OPERATORS[name as Operator];
      if (value === null && (operator === '=' || operator === '<>')) {
        conditions.push({ kind: 'null', negated: operator === '<>' });
      } else if (value === null || Array.isArray(value)) {
        throw new InvalidQueryError(`where.${field}.${name}`, 'must be a single non-null value');
      } else {
        conditions.push({ kind: 'compare', operator, value });
      }
    } else {
      throw new InvalidQueryError(
        `where.${field}`,
        `unknown operator "${name}"; use eq, ne, gt, gte, lt, lte or in`,
      );
    }
  }
  if (conditions.length === 0) {
    throw new InvalidQueryError(`where.${field}`, 'give at least one of eq, ne, gt, gte, lt, lte or in');
  }
  return conditions;
}

// Plain objects are operator objects; Dates, Buffers and other class instances are values.
function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
