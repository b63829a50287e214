import { mapDatabaseError } from '@strata/errors';
import type { Pool, ReadConsistency } from '@strata/pool';
import { Model, type ModelClass, type PartialModelObject, type QueryBuilder } from 'objection';
import { type RelationTree, resolveRelations, type With } from './relation-expression.js';
import {
  FieldNotAllowedError,
  InvalidQueryError,
  InvalidRowsError,
  InvalidTextError,
} from './repository-errors.js';
import type { ResolvedRepositoryOptions } from './repository-options.js';
import { describeTable, type TableDescription } from './table-description.js';
import { findUnstorableText, unstorableTextReason } from './unstorable-text.js';

/**
 * What a repository needs from its pool: a Strata pool (`createPool` from `@strata/pool`).
 * `query` runs the hot reads as prepared statements; `knex` runs everything else, and its
 * client hands out connections for COPY. Both join the ambient transaction when one is open.
 * `reader` and `currentSession` route reads to read replicas (see the `on` read option).
 */
export type RepositoryPool = Pick<Pool, 'query' | 'knex'> & Partial<Pick<Pool, 'reader' | 'currentSession'>>;

/** Where a read runs: the pool itself (the primary), or one of its readers. */
export type ReadTarget = Pick<Pool, 'query' | 'knex'>;

/** Columns `BaseModel` manages: optimistic-lock version and application-set timestamps. */
export const VERSION_COLUMN = 'version';
export const CREATED_AT = 'created_at';
export const UPDATED_AT = 'updated_at';

/**
 * One model on its table and pool, as every repository operation (reads, pages, writes, bulk
 * inserts) sees it: names, the catalog description read once, field permission checks, and
 * running work with database errors mapped to typed ones.
 */
export class ModelTable<M extends Model> {
  /** `model.tableName`, optionally `schema.table`. */
  readonly name: string;
  readonly idColumn: string;
  readonly idProperty: string;
  readonly #runsAfterFind: boolean;
  #description: Promise<TableDescription> | undefined;

  constructor(
    readonly pool: RepositoryPool,
    readonly model: ModelClass<M>,
    /** The entity name used in errors. */
    readonly entity: string,
    readonly options: Readonly<ResolvedRepositoryOptions>,
    /** The repository's `query()`, so a subclass overriding it scopes every operation. */
    readonly query: () => QueryBuilder<M, M[]>,
  ) {
    this.name = model.tableName;
    this.idColumn = model.idColumn as string;
    this.idProperty = model.columnNameToPropertyName(this.idColumn);
    this.#runsAfterFind = model.prototype.$afterFind !== Model.prototype.$afterFind;
  }

  /** The table's columns and id sequence, read from the catalog on first use. */
  describe(): Promise<TableDescription> {
    if (!this.#description) {
      this.#description = this.run(() =>
        describeTable((text, values) => this.pool.query(text, values), this.name, this.idColumn),
      ).then((description) => {
        if (description.columns.size === 0)
          throw new InvalidQueryError('model.tableName', `table ${this.name} has no columns`);
        return description;
      });
      // A failed lookup (e.g. the table does not exist yet) is retried next time.
      this.#description.catch(() => {
        this.#description = undefined;
      });
    }
    return this.#description;
  }

  /**
   * Where a read with `on` runs: `on`, else the repository's `reads`, else the consistency of
   * the pool's current session, else the primary. Anything but the primary goes through
   * `pool.reader()`, which keeps reads inside a transaction on its connection.
   */
  readsOn(on: ReadConsistency | undefined): ReadTarget {
    const { pool } = this;
    const consistency = on ?? this.options.reads ?? pool.currentSession?.()?.consistency ?? 'primary';
    return consistency === 'primary' || pool.reader === undefined ? pool : pool.reader(consistency);
  }

  /** Runs `work`, turning driver errors into Strata's typed errors. */
  async run<T>(work: () => PromiseLike<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw mapDatabaseError(error);
    }
  }

  /** The column behind a model field. */
  column(field: string): string {
    return this.model.propertyNameToColumnName(field);
  }

  /** `table.column`, as Knex reads (and quotes) a qualified identifier. */
  qualified(column: string): string {
    return `${this.name}.${column}`;
  }

  /** The relation expression for `with`, checked against the model's relations. */
  relations(relations: With | undefined): RelationTree | undefined {
    return relations === undefined ? undefined : resolveRelations(this.model, relations);
  }

  /**
   * Models from database rows, with `$afterFind` run and `relations` fetched in one batch each
   * (on `knex`: where the rows were read).
   */
  async hydrate(
    rows: readonly object[],
    relations: RelationTree | undefined,
    knex: ReadTarget['knex'] = this.pool.knex,
  ): Promise<M[]> {
    const entities = rows.map((row) => this.model.fromDatabaseJson(row) as M);
    if (this.#runsAfterFind) {
      for (const entity of entities) await entity.$afterFind({ transaction: knex } as never);
    }
    if (relations && entities.length > 0) {
      await this.run(() =>
        this.model.fetchGraph(entities as PartialModelObject<M>[], relations as never, { transaction: knex }),
      );
    }
    return entities;
  }

  /** Throws FieldNotAllowedError unless `field` is the id or listed as sortable/filterable. */
  assertAllowed(field: string, use: 'sort' | 'filter'): void {
    if (field === this.idProperty) return;
    const allowed = use === 'sort' ? this.options.sortable : this.options.filterable;
    if (!allowed.includes(field)) throw new FieldNotAllowedError(this.entity, field, use, allowed);
  }

  /**
   * Checks that `data` is an object whose every defined field may be written, with no text
   * PostgreSQL would refuse or change (InvalidTextError).
   */
  async assertWritable(data: unknown): Promise<void> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new InvalidRowsError(this.entity, 'give the fields as an object');
    }
    const description = await this.describe();
    for (const [field, value] of Object.entries(data)) {
      if (value === undefined) continue;
      this.assertWritableField(field, description);
      this.assertStorableText(field, value);
    }
  }

  /** Throws InvalidTextError when `value` of `field` holds a NUL or an unpaired surrogate. */
  assertStorableText(field: string, value: unknown, row?: number): void {
    // Strings first, without allocating: createMany checks every value of every row.
    if (typeof value === 'string') {
      const reason = unstorableTextReason(value);
      if (reason)
        throw new InvalidTextError(this.entity, field, this.column(field), { path: [], reason }, row);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    // Dates, Buffers and other class instances hold no text findUnstorableText would look at:
    // skip the walk (and its allocations) for them, as for every Date of a 100k-row createMany.
    if (!Array.isArray(value)) {
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return;
    }
    const [found] = findUnstorableText(value, 1);
    if (found) throw new InvalidTextError(this.entity, field, this.column(field), found, row);
  }

  /** A field is writable when listed in `writable`, or, without that list, when it is a column. */
  assertWritableField(field: string, description: TableDescription): void {
    const { writable } = this.options;
    if (writable !== undefined) {
      if (!writable.includes(field)) throw new FieldNotAllowedError(this.entity, field, 'write', writable);
    } else if (!description.columns.has(this.column(field))) {
      throw this.notAColumn(field, 'write');
    }
  }

  notAColumn(field: string, use: 'sort' | 'filter' | 'write'): FieldNotAllowedError {
    return new FieldNotAllowedError(
      this.entity,
      field,
      use,
      [],
      `"${field}" is not a column of table ${this.name}.`,
    );
  }
}
