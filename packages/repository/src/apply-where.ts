import type { Model, QueryBuilder } from 'objection';
import type { ModelTable } from './model-table.js';
import type { Where } from './model-types.js';
import { InvalidQueryError } from './repository-errors.js';
import { parseFieldFilter } from './where-filter.js';

/**
 * Adds `where` (field filters on `filterable` fields) to `query` and returns the fields it
 * filtered on. Field names become column identifiers Knex quotes; values are bindings.
 */
export function applyWhere<M extends Model>(
  table: ModelTable<M>,
  query: QueryBuilder<M, M[]>,
  where: Where<M>,
): string[] {
  if (typeof where !== 'object' || where === null || Array.isArray(where)) {
    throw new InvalidQueryError('where', 'must be an object of field filters');
  }
  const fields: string[] = [];
  for (const [field, filter] of Object.entries(where as Record<string, unknown>)) {
    if (filter === undefined) continue;
    table.assertAllowed(field, 'filter');
    fields.push(field);
    const column = table.qualified(table.column(field));
    for (const condition of parseFieldFilter(field, filter)) {
      if (condition.kind === 'null') {
        if (condition.negated) query.whereNotNull(column);
        else query.whereNull(column);
      } else if (condition.kind === 'in') {
        query.whereIn(column, condition.values as never[]);
      } else {
        query.where(column, condition.operator, condition.value as never);
      }
    }
  }
  return fields;
}
