import type { ReadConsistency } from '@strata/pool';
import type { Knex } from 'knex';
import type { Model } from 'objection';
import { applyWhere } from './apply-where.js';
import { keysetCondition } from './keyset-condition.js';
import { KeysetCursorCodec } from './keyset-cursor.js';
import { keysetValueProblem } from './keyset-value.js';
import type { ModelTable } from './model-table.js';
import type { FieldOf, IdField, Where } from './model-types.js';
import { describeOrder, type OrderBy, resolveOrderBy } from './order-by.js';
import type { With } from './relation-expression.js';
import { InvalidCursorError, InvalidQueryError } from './repository-errors.js';

/**
 * Options of `list()`. `S` and `F` are the repository's `sortable` and `filterable` fields
 * (every field when the repository's type does not say); the id is always allowed.
 */
export interface ListOptions<
  M extends Model,
  S extends FieldOf<M> = FieldOf<M>,
  F extends FieldOf<M> = FieldOf<M>,
> {
  /** Filters on fields from the `filterable` list (and the id). */
  where?: Where<M, F | IdField<M>>;
  /** Sort keys from the `sortable` list; the id is appended as the final tie-breaker. Default: id. */
  orderBy?: OrderBy<S | IdField<M>>;
  /** The `nextCursor` of the previous page; omitted (or null) for the first page. */
  after?: string | null;
  /** Page size, at most `maxPageSize`; `defaultPageSize` when omitted. */
  limit?: number;
  /** Relations to load for every item, in one query per relation (not one per item). */
  with?: With;
  /** Where to read; see `ReadOptions.on`. */
  on?: ReadConsistency;
}

/** One page of `list()`. */
export interface Page<M> {
  items: M[];
  /** Pass as `after` to get the next page; null on the last page. */
  nextCursor: string | null;
}

// Each sort key is selected as text under this alias, for the cursor of the page's last row.
const KEY_ALIAS = '__strata_key_';
const DATE_KINDS: ReadonlySet<string> = new Set(['date', 'timestamp', 'timestamptz']);

/**
 * Checks a decoded cursor's values against the sort columns: one per key, NULL only where
 * the column allows it, and each a value of the column's type. The tag already says the
 * cursor was made with this key; this keeps anything else from reaching PostgreSQL even when
 * the key is known (or when a cursor was made before a column changed type).
 */
function assertPositionFits(
  values: readonly (string | null)[],
  columns: readonly { field: string; type: string; nullable: boolean }[],
): void {
  if (values.length !== columns.length) {
    throw new InvalidCursorError(
      `it holds ${values.length} sort key value(s), but this list sorts by ${columns.length}`,
    );
  }
  columns.forEach((column, index) => {
    const value = values[index] as string | null;
    const problem =
      value === null
        ? column.nullable
          ? undefined
          : 'is null, which the column cannot hold'
        : keysetValueProblem(column.type, value);
    if (problem) throw new InvalidCursorError(`its value for "${column.field}" ${problem}`);
  });
}

/**
 * Keyset (cursor) pagination over a repository's table: each page starts strictly after the
 * sort key values of the previous page's last row, carried in an opaque, tamper-checked cursor.
 */
export class KeysetPages<M extends Model> {
  readonly #table: ModelTable<M>;
  readonly #cursors: KeysetCursorCodec;

  constructor(table: ModelTable<M>) {
    this.#table = table;
    this.#cursors = new KeysetCursorCodec(table.name, table.options.cursorSecret);
  }

  async list(options: ListOptions<M>): Promise<Page<M>> {
    const table = this.#table;
    const { defaultPageSize, maxPageSize } = table.options;
    const limit = options.limit ?? defaultPageSize;
    if (!Number.isInteger(limit) || limit < 1 || limit > maxPageSize) {
      throw new InvalidQueryError(
        'limit',
        `must be a whole number from 1 to ${maxPageSize} (maxPageSize of ${table.entity}), got ${String(
          options.limit,
        )}; follow nextCursor for more rows`,
      );
    }
    const keys = resolveOrderBy(options.orderBy as OrderBy | undefined, table.idProperty);
    for (const key of keys) table.assertAllowed(key.field, 'sort');
    const order = describeOrder(keys);
    const position =
      options.after === undefined || options.after === null
        ? undefined
        : this.#cursors.decode(options.after, order);
    const relations = table.relations(options.with);
    const description = await table.describe();

    const knex = table.pool.knex;
    const columns = keys.map((key) => {
      const column = table.column(key.field);
      const described = description.columns.get(column);
      if (!described) throw table.notAColumn(key.field, 'sort');
      return {
        field: key.field,
        column: table.qualified(column),
        direction: key.direction,
        nullable: !described.notNull,
        type: described.type,
        kind: described.kind,
      };
    });
    if (position) assertPositionFits(position.values, columns);
    const query = table.query().select(`${table.name}.*`);
    const reads = table.readsOn(options.on);
    if (reads !== table.pool) query.transacting(reads.knex);
    columns.forEach((key, index) => {
      // Dates and timestamps as JSON prints them (ISO 8601, whatever the session's DateStyle),
      // so the cursor check knows their form; microseconds are kept either way.
      const text = DATE_KINDS.has(key.kind) ? "to_json(??) #>> '{}'" : '??::text';
      query.select(knex.raw(`${text} as ??`, [key.column, `${KEY_ALIAS}${index}`]));
    });
    if (options.where !== undefined) applyWhere(table, query, options.where);
    if (position) {
      const condition = keysetCondition(columns, position.values);
      query.whereRaw(condition.sql, condition.bindings as Knex.RawBinding[]);
    }
    for (const key of columns) query.orderBy(key.column, key.direction);
    query.limit(limit + 1);
    if (relations) query.withGraphFetched(relations);

    const rows = (await table.run(() => query)) as M[];
    const items = rows.slice(0, limit);
    const last = rows.length > limit ? items.at(-1) : undefined;
    const keyProperties = columns.map((_, index) =>
      table.model.columnNameToPropertyName(`${KEY_ALIAS}${index}`),
    );
    const nextCursor = last
      ? this.#cursors.encode({
          order,
          values: keyProperties.map(
            (property) => (last as Record<string, unknown>)[property] as string | null,
          ),
        })
      : null;
    for (const item of rows) {
      for (const property of keyProperties) delete (item as Record<string, unknown>)[property];
    }
    return { items, nextCursor };
  }
}
