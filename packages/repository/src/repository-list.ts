import type { ReadConsistency } from '@strata/pool';
import type { Knex } from 'knex';
import type { Model } from 'objection';
import { applyWhere } from './apply-where.js';
import { keysetCondition } from './keyset-condition.js';
import { KeysetCursorCodec } from './keyset-cursor.js';
import type { ModelTable } from './model-table.js';
import type { FieldOf, Where } from './model-types.js';
import { describeOrder, type OrderBy, resolveOrderBy } from './order-by.js';
import type { With } from './relation-expression.js';
import { InvalidQueryError } from './repository-errors.js';

/** Options of `list()`. */
export interface ListOptions<M extends Model> {
  where?: Where<M>;
  /** Sort keys from the `sortable` list; the id is appended as the final tie-breaker. Default: id. */
  orderBy?: OrderBy<FieldOf<M>>;
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
    if (position && position.values.length !== keys.length) {
      throw new InvalidQueryError('after', 'the cursor does not match the sort keys');
    }
    const relations = table.relations(options.with);
    const description = await table.describe();

    const knex = table.pool.knex;
    const columns = keys.map((key) => {
      const column = table.column(key.field);
      const described = description.columns.get(column);
      if (!described) throw table.notAColumn(key.field, 'sort');
      return { column: table.qualified(column), direction: key.direction, nullable: !described.notNull };
    });
    const query = table.query().select(`${table.name}.*`);
    const reads = table.readsOn(options.on);
    if (reads !== table.pool) query.transacting(reads.knex);
    columns.forEach((key, index) => {
      query.select(knex.raw('??::text as ??', [key.column, `${KEY_ALIAS}${index}`]));
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
