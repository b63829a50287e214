import { randomUUID } from 'node:crypto';
import { InvalidConfigError, mapDatabaseError } from '@strata/errors';
import { getAmbientConnection, type Pool } from '@strata/pool';
import { OptimisticLockError, updateWithVersion } from '@strata/transactions';
import type { Knex } from 'knex';
import {
  Model,
  type ModelClass,
  type ModelObject,
  type PartialModelObject,
  type QueryBuilder,
} from 'objection';
import type { Id } from './base-model.js';
import { BinaryFormatMismatch } from './copy-binary-format.js';
import { copyFromStdin } from './copy-from-stdin.js';
import { type CopyColumn, CopyRows } from './copy-rows.js';
import { CopyValueError, stringifyJson } from './copy-text-format.js';
import { copyWithSequenceDefault, type SequenceCopyClient } from './copy-with-sequence-default.js';
import { keysetCondition } from './keyset-condition.js';
import { KeysetCursorCodec } from './keyset-cursor.js';
import { describeOrder, type OrderBy, resolveOrderBy } from './order-by.js';
import { preallocateIds } from './preallocate-ids.js';
import { resolveRelations, type With } from './relation-expression.js';
import {
  FieldNotAllowedError,
  InvalidQueryError,
  InvalidRowsError,
  MultipleRowsFoundError,
  NotFoundError,
} from './repository-errors.js';
import {
  parseRepositoryOptions,
  type RepositoryOptions as RawRepositoryOptions,
  type ResolvedRepositoryOptions,
} from './repository-options.js';
import { assertRowFields, fieldsOfFirstRow } from './row-fields.js';
import { quoteIdentifier } from './sql-identifier.js';
import { type ColumnDescription, describeTable, type TableDescription } from './table-description.js';
import { type FieldFilter, parseFieldFilter } from './where-filter.js';

/**
 * What a repository needs from its pool: a Strata pool (`createPool` from `@strata/pool`).
 * `query` runs the hot reads as prepared statements; `knex` runs everything else, and its
 * client hands out connections for COPY. Both join the ambient transaction when one is open.
 */
export type RepositoryPool = Pick<Pool, 'query' | 'knex'>;

/** The data fields of a model (its columns and relations, not its methods). */
export type FieldOf<M extends Model> = Extract<keyof ModelObject<M>, string>;

/** Filters for `list` and `findOne`: field → value, `null`, array (IN) or `{ gt, lte, ... }`. */
export type Where<M extends Model> = { [K in FieldOf<M>]?: FieldFilter<NonNullable<M[K]>> };

/** The primary key type of a model. */
export type IdOf<M extends Model> = M extends { id: infer I } ? I : Id;

/** Options of a repository, with field lists checked against the model's fields. */
export interface RepositoryOptions<M extends Model>
  extends Omit<RawRepositoryOptions, 'sortable' | 'filterable' | 'writable'> {
  /** Fields `list()` may sort by; the id always may. */
  sortable?: readonly FieldOf<M>[];
  /** Fields `list()` and `findOne()` may filter on; the id always may. */
  filterable?: readonly FieldOf<M>[];
  /** Fields the write methods accept; when omitted, any column of the table. */
  writable?: readonly FieldOf<M>[];
}

/** Options of the single-entity reads. */
export interface ReadOptions {
  /** Relations to load with the entity, batched (`'items'`, `['items.product', 'customer']`). */
  with?: With;
}

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
}

/** One page of `list()`. */
export interface Page<M> {
  items: M[];
  /** Pass as `after` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** Options of `update()` and `delete()`. */
export interface VersionOptions {
  /**
   * The version the caller read. The write applies only if the row still has it, otherwise it
   * throws OptimisticLockError. Needs a `version` column, which every update increments.
   */
  version?: number;
}

/** Options of `upsert()`. */
export interface UpsertOptions<M extends Model> {
  /** The unique field(s) whose conflict turns the insert into an update (`ON CONFLICT (…)`). */
  conflictTarget: FieldOf<M> | readonly FieldOf<M>[];
  /** Fields to overwrite on conflict; by default every given field except the target and id. */
  update?: readonly FieldOf<M>[];
}

/** Rows given to `create`/`createMany`/`upsert`. */
export type NewEntity<M extends Model> = PartialModelObject<M>;

// PostgreSQL's limit on bind parameters in one statement.
const MAX_PARAMETERS = 65_535;
const VERSION_COLUMN = 'version';
const CREATED_AT = 'created_at';
const UPDATED_AT = 'updated_at';
const KEY_ALIAS = '__strata_key_';
// After createMany found the id sequence used by another session mid-COPY, how long it takes
// ids up front instead of retrying the cheaper path.
const SEQUENCE_CONTENTION_BACKOFF_MS = 60_000;

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;

// Ids are matched as text: an int8 arrives as a string while callers may pass numbers, and
// PostgreSQL prints uuids in lower case whatever case they were asked in.
function idKey(id: unknown): string {
  const text = String(id);
  return UUID.test(text) ? text.toLowerCase() : text;
}

/**
 * A repository for one model: hot reads (`getById`, `findById`, `getManyByIds`) run as prepared
 * statements through `pool.query` and hydrate models directly; everything else runs through
 * Objection on `pool.knex`; `createMany` switches to `COPY … FROM STDIN` for large batches.
 * Every method joins the ambient transaction (`withTransaction`) when one is open, and database
 * errors arrive typed (`UniqueViolationError`, ...). Extend it to add queries of your own:
 *
 * ```ts
 * class UserRepository extends Repository<User> {
 *   constructor(pool: Pool) {
 *     super(pool, User, { filterable: ['email'], sortable: ['created_at'] });
 *   }
 *   findByEmail(email: string) {
 *     return this.findOne({ email });
 *   }
 * }
 * ```
 */
export class Repository<M extends Model> {
  readonly pool: RepositoryPool;
  readonly model: ModelClass<M>;
  /** The entity name used in errors (the model class name unless `entityName` is set). */
  readonly entity: string;
  readonly options: Readonly<ResolvedRepositoryOptions>;

  readonly #table: string;
  readonly #idColumn: string;
  readonly #idProperty: string;
  readonly #byIdSql: string;
  readonly #byIdsSql: string;
  readonly #existsSql: string;
  readonly #cursors: KeysetCursorCodec;
  readonly #runsAfterFind: boolean;
  #description: Promise<TableDescription> | undefined;
  #sequenceContendedUntil = 0;

  constructor(pool: RepositoryPool, model: ModelClass<M>, options: RepositoryOptions<M> = {}) {
    const subject = `repository of ${model?.name ?? 'an unknown model'}`;
    const issues: { path: string; message: string }[] = [];
    if (typeof pool?.query !== 'function' || typeof pool?.knex !== 'function') {
      issues.push({ path: 'pool', message: 'must be a Strata pool (createPool from @strata/pool)' });
    }
    if (typeof model !== 'function' || !(model.prototype instanceof Model)) {
      issues.push({ path: 'model', message: 'must be a model class extending BaseModel' });
    } else {
      if (typeof model.tableName !== 'string' || model.tableName === '') {
        issues.push({ path: 'model.tableName', message: 'must name the table' });
      }
      if (typeof model.idColumn !== 'string') {
        issues.push({
          path: 'model.idColumn',
          message: 'must be a single column; composite keys are not supported',
        });
      }
    }
    if (issues.length > 0) throw new InvalidConfigError(subject, issues);
    this.options = parseRepositoryOptions(subject, options as RawRepositoryOptions);
    this.pool = pool;
    this.model = model;
    this.entity = this.options.entityName ?? model.name;
    this.#table = model.tableName;
    this.#idColumn = model.idColumn as string;
    this.#idProperty = model.columnNameToPropertyName(this.#idColumn);
    const table = quoteIdentifier(this.#table);
    const id = quoteIdentifier(this.#idColumn);
    this.#byIdSql = `select * from ${table} where ${id} = $1`;
    this.#byIdsSql = `select * from ${table} where ${id} = any($1)`;
    this.#existsSql = `select 1 from ${table} where ${id} = $1`;
    this.#cursors = new KeysetCursorCodec(this.#table, this.options.cursorSecret);
    this.#runsAfterFind = model.prototype.$afterFind !== Model.prototype.$afterFind;
  }

  /** The entity with `id`, or NotFoundError naming the entity and the id. */
  async getById(id: IdOf<M>, options: ReadOptions = {}): Promise<M> {
    const entity = await this.findById(id, options);
    if (entity === undefined) throw new NotFoundError(this.entity, [id]);
    return entity;
  }

  /** The entity with `id`, or undefined. One prepared statement (plus one per relation in `with`). */
  async findById(id: IdOf<M>, options: ReadOptions = {}): Promise<M | undefined> {
    const relations = options.with === undefined ? undefined : resolveRelations(this.model, options.with);
    const { rows } = await this.#run(() => this.pool.query(this.#byIdSql, [id]));
    const row = rows[0];
    if (row === undefined) return undefined;
    const [entity] = await this.#hydrate([row], relations);
    return entity;
  }

  /**
   * The entities with `ids`, in the order asked (a repeated id appears repeatedly), fetched with
   * one prepared statement. If any id has no row, throws NotFoundError whose `ids` lists every
   * missing one.
   */
  async getManyByIds(ids: readonly IdOf<M>[], options: ReadOptions = {}): Promise<M[]> {
    const found = await this.findManyByIds(ids, options);
    const missing = ids.filter((_, index) => found[index] === undefined);
    if (missing.length > 0) throw new NotFoundError(this.entity, missing);
    return found as M[];
  }

  /**
   * Like `getManyByIds`, but a missing id yields `undefined` at its position instead of an error:
   * the shape a DataLoader batch function returns.
   */
  async findManyByIds(ids: readonly IdOf<M>[], options: ReadOptions = {}): Promise<(M | undefined)[]> {
    if (!Array.isArray(ids)) throw new InvalidQueryError('ids', 'must be an array of ids');
    if (ids.length === 0) return [];
    const relations = options.with === undefined ? undefined : resolveRelations(this.model, options.with);
    const unique = [...new Set(ids)];
    const { rows } = await this.#run(() => this.pool.query(this.#byIdsSql, [unique]));
    const entities = await this.#hydrate(rows, relations);
    const byId = new Map(entities.map((entity) => [idKey(entity[this.#idProperty as keyof M]), entity]));
    return ids.map((id) => byId.get(idKey(id)));
  }

  /**
   * The one entity matching `where` (fields from `filterable`), or undefined. More than one match
   * is a MultipleRowsFoundError: findOne is for filters that identify a single row.
   */
  async findOne(where: Where<M>, options: ReadOptions = {}): Promise<M | undefined> {
    const query = this.query().limit(2);
    const fields = this.#applyWhere(query, where);
    if (options.with !== undefined) query.withGraphFetched(resolveRelations(this.model, options.with));
    const rows = (await this.#run(() => query)) as M[];
    if (rows.length > 1) throw new MultipleRowsFoundError(this.entity, fields);
    return rows[0];
  }

  /**
   * One page of entities matching `where`, sorted by `orderBy` with keyset (cursor) pagination:
   * the next page starts strictly after the last row of this one, so rows inserted or deleted
   * between calls never shift a page (no row is skipped or repeated). `limit` above
   * `maxPageSize` is an error.
   */
  async list(options: ListOptions<M> = {}): Promise<Page<M>> {
    const limit = options.limit ?? this.options.defaultPageSize;
    if (!Number.isInteger(limit) || limit < 1 || limit > this.options.maxPageSize) {
      throw new InvalidQueryError(
        'limit',
        `must be a whole number from 1 to ${this.options.maxPageSize} (maxPageSize of ${this.entity}), got ${String(
          options.limit,
        )}; follow nextCursor for more rows`,
      );
    }
    const keys = resolveOrderBy(options.orderBy as OrderBy | undefined, this.#idProperty);
    for (const key of keys) this.#assertAllowed(key.field, 'sort');
    const order = describeOrder(keys);
    const position =
      options.after === undefined || options.after === null
        ? undefined
        : this.#cursors.decode(options.after, order);
    if (position && position.values.length !== keys.length) {
      throw new InvalidQueryError('after', 'the cursor does not match the sort keys');
    }
    const relations = options.with === undefined ? undefined : resolveRelations(this.model, options.with);
    const description = await this.#describe();

    const knex = this.pool.knex;
    const columns = keys.map((key) => {
      const column = this.#column(key.field);
      const described = description.columns.get(column);
      if (!described) throw this.#notAColumn(key.field, 'sort');
      return { column: this.#qualified(column), direction: key.direction, nullable: !described.notNull };
    });
    const query = this.query().select(`${this.#table}.*`);
    columns.forEach((key, index) => {
      query.select(knex.raw('??::text as ??', [key.column, `${KEY_ALIAS}${index}`]));
    });
    if (options.where !== undefined) this.#applyWhere(query, options.where);
    if (position) {
      const condition = keysetCondition(columns, position.values);
      query.whereRaw(condition.sql, condition.bindings as Knex.RawBinding[]);
    }
    for (const key of columns) query.orderBy(key.column, key.direction);
    query.limit(limit + 1);
    if (relations) query.withGraphFetched(relations);

    const rows = (await this.#run(() => query)) as M[];
    const items = rows.slice(0, limit);
    const last = rows.length > limit ? items.at(-1) : undefined;
    const keyProperties = columns.map((_, index) =>
      this.model.columnNameToPropertyName(`${KEY_ALIAS}${index}`),
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

  /** Inserts one entity and returns it as stored (defaults and generated id included). */
  async create(data: NewEntity<M>): Promise<M> {
    await this.#assertWritable(data);
    return (await this.#run(() => this.query().insert(data).returning('*') as PromiseLike<unknown>)) as M;
  }

  /**
   * Inserts many entities and returns their ids, in input order. Below `copyThreshold` rows it
   * is one multi-row INSERT; from it on, `COPY … FROM STDIN`, with the ids read back from the
   * id's sequence around the COPY, or taken from it up front when other sessions use it too
   * (uuid ids are generated). A constant number of statements, never one per row, and
   * all-or-nothing. Every row must carry the same fields.
   * Rows are written as given (plus timestamps): model hooks and jsonSchema validation do not run.
   */
  async createMany(rows: readonly NewEntity<M>[]): Promise<IdOf<M>[]> {
    if (!Array.isArray(rows)) throw new InvalidRowsError(this.entity, 'createMany() takes an array of rows');
    if (rows.length === 0) return [];
    const fields = fieldsOfFirstRow(this.entity, rows);
    const description = await this.#describe();
    for (const field of fields) this.#assertWritableField(field, description);
    const now = new Date();
    const columns: CopyColumn[] = fields.map((field) => {
      const column = description.columns.get(this.#column(field));
      if (!column) throw this.#notAColumn(field, 'write');
      return { column, field };
    });
    for (const timestamp of [CREATED_AT, UPDATED_AT]) {
      const column = description.columns.get(timestamp);
      if (column && !columns.some((entry) => entry.column.name === timestamp)) {
        columns.push({ column, field: undefined, constant: now });
      }
    }
    const useCopy =
      rows.length >= this.options.copyThreshold || rows.length * columns.length > MAX_PARAMETERS;
    const records = rows as readonly Record<string, unknown>[];
    if (useCopy) return this.#run(() => this.#copyMany(records, fields, columns, description));
    const expected = new Set(fields);
    for (let index = 1; index < records.length; index++) {
      assertRowFields(this.entity, records[index], index, fields, expected);
    }
    return this.#run(() => this.#insertMany(records, columns));
  }

  /**
   * Applies `patch` to the entity with `id` and returns it as stored; `updated_at` is set and a
   * `version` column incremented. With `{ version }`, the update applies only to that version and
   * throws OptimisticLockError otherwise. NotFoundError when there is no such entity.
   */
  async update(id: IdOf<M>, patch: PartialModelObject<M>, options: VersionOptions = {}): Promise<M> {
    const description = await this.#describe();
    await this.#assertWritable(patch);
    const data: Record<string, unknown> = { ...patch };
    if (this.#idProperty in data) {
      throw new InvalidRowsError(this.entity, `update() cannot change the id (field "${this.#idProperty}")`);
    }
    const versioned = description.columns.has(VERSION_COLUMN);
    const versionProperty = this.model.columnNameToPropertyName(VERSION_COLUMN);
    if (options.version !== undefined && !versioned) {
      throw new InvalidQueryError('version', `table ${this.#table} has no "${VERSION_COLUMN}" column`);
    }
    if (versioned && versionProperty in data) {
      throw new InvalidRowsError(
        this.entity,
        `"${versionProperty}" is managed: pass the version read as { version }`,
      );
    }
    if (options.version !== undefined) return this.#updateVersion(id, patch, options.version);
    if (versioned) data[versionProperty] = this.pool.knex.raw('?? + 1', [VERSION_COLUMN]);
    const rows = (await this.#run(
      () =>
        this.query()
          .patch(data as PartialModelObject<M>)
          .where(this.#qualified(this.#idColumn), id as never)
          .returning('*') as PromiseLike<unknown>,
    )) as M[];
    if (rows[0]) return rows[0];
    throw new NotFoundError(this.entity, [id]);
  }

  /**
   * Inserts `data`, or, when it conflicts on `conflictTarget` (a unique constraint's fields),
   * updates the existing row with it (`INSERT … ON CONFLICT (…) DO UPDATE`). Returns the stored
   * row either way; on update `created_at` is kept, `updated_at` set and `version` incremented.
   */
  async upsert(data: NewEntity<M>, options: UpsertOptions<M>): Promise<M> {
    const description = await this.#describe();
    await this.#assertWritable(data);
    const targets: readonly string[] =
      typeof options?.conflictTarget === 'string'
        ? [options.conflictTarget]
        : (options?.conflictTarget ?? []);
    if (!Array.isArray(targets) || targets.length === 0) {
      throw new InvalidQueryError('conflictTarget', 'name the unique field(s) a conflict is detected on');
    }
    const targetColumns = targets.map((field) => {
      const column = this.#column(field);
      if (!description.columns.has(column)) throw this.#notAColumn(field, 'write');
      return column;
    });
    const given = Object.keys(data).filter((key) => (data as Record<string, unknown>)[key] !== undefined);
    const excluded = new Set([...targets, this.#idProperty, this.model.columnNameToPropertyName(CREATED_AT)]);
    const fields = options.update ?? given.filter((field) => !excluded.has(field));
    const knex = this.pool.knex;
    const merge: Record<string, unknown> = {};
    for (const field of fields) {
      this.#assertWritableField(field, description);
      merge[field] = knex.raw('excluded.??', [this.#column(field)]);
    }
    if (description.columns.has(UPDATED_AT)) {
      merge[this.model.columnNameToPropertyName(UPDATED_AT)] = knex.raw('excluded.??', [UPDATED_AT]);
    }
    if (description.columns.has(VERSION_COLUMN)) {
      // Qualified: inside DO UPDATE a bare name could mean the existing row or `excluded`.
      merge[this.model.columnNameToPropertyName(VERSION_COLUMN)] = knex.raw('?? + 1', [
        this.#qualified(VERSION_COLUMN),
      ]);
    }
    // With nothing to overwrite, still "update" the target to itself so RETURNING yields the row.
    const mergeWith = Object.keys(merge).length > 0 ? merge : [targets[0] as string];
    return (await this.#run(
      () =>
        this.query()
          .insert(data)
          .onConflict(targetColumns)
          .merge(mergeWith as PartialModelObject<M>)
          .returning('*') as PromiseLike<unknown>,
    )) as M;
  }

  /**
   * Deletes the entity with `id`; true if it existed. With `{ version }`, deletes only that
   * version and throws OptimisticLockError if the row has another.
   */
  async delete(id: IdOf<M>, options: VersionOptions = {}): Promise<boolean> {
    const query = this.query()
      .delete()
      .where(this.#qualified(this.#idColumn), id as never);
    if (options.version !== undefined) query.where(this.#qualified(VERSION_COLUMN), options.version);
    const deleted = (await this.#run(() => query)) as unknown as number;
    if (deleted > 0) return true;
    if (options.version === undefined) return false;
    const error = await this.#missingOrConflict(id, options.version);
    if (error instanceof NotFoundError) return false;
    throw error;
  }

  /**
   * An Objection query on this repository's model, bound to the pool's Knex (so it joins the
   * ambient transaction). For a subclass's own queries.
   */
  protected query(): QueryBuilder<M, M[]> {
    return this.model.query(this.pool.knex) as unknown as QueryBuilder<M, M[]>;
  }

  // A version-checked update through @strata/transactions' updateWithVersion (one statement,
  // OptimisticLockError when the row changed or went away), with the model's patch handling:
  // jsonSchema validation, $beforeUpdate (updated_at) and column-name mapping.
  async #updateVersion(id: IdOf<M>, patch: PartialModelObject<M>, version: number): Promise<M> {
    const model = this.model.fromJson(patch as object, { patch: true });
    await model.$beforeUpdate({ patch: true }, { transaction: this.pool.knex } as never);
    const set = model.$toDatabaseJson() as Record<string, unknown>;
    const row = await this.#run(() =>
      updateWithVersion(this.pool, {
        table: this.#table,
        id,
        expectedVersion: version,
        set,
        idColumn: this.#idColumn,
        versionColumn: VERSION_COLUMN,
      }),
    );
    const [entity] = await this.#hydrate([row], undefined);
    return entity as M;
  }

  async #insertMany(
    rows: readonly Record<string, unknown>[],
    columns: readonly CopyColumn[],
  ): Promise<IdOf<M>[]> {
    const values = rows.map((row, index) => {
      const record: Record<string, unknown> = {};
      for (const { column, field, constant } of columns) {
        const value = field === undefined ? constant : row[field];
        record[column.name] = value;
        // node-postgres would send an array as an array literal, which json columns reject.
        if (column.kind === 'json' && value !== null && value !== undefined && typeof value !== 'string') {
          try {
            record[column.name] = stringifyJson(value);
          } catch (error) {
            if (!(error instanceof CopyValueError)) throw error;
            throw new InvalidRowsError(this.entity, `row ${index}, field "${field}": ${error.message}`);
          }
        }
      }
      return record;
    });
    const inserted = (await this.pool.knex(this.#table).insert(values).returning(this.#idColumn)) as Record<
      string,
      unknown
    >[];
    return inserted.map((row) => row[this.#idColumn] as IdOf<M>);
  }

  async #copyMany(
    rows: readonly Record<string, unknown>[],
    fields: readonly string[],
    columns: readonly CopyColumn[],
    description: TableDescription,
  ): Promise<IdOf<M>[]> {
    const knexClient = this.pool.knex.client as unknown as {
      acquireConnection(): Promise<SequenceCopyClient>;
      releaseConnection(connection: unknown): Promise<unknown>;
    };
    const idGiven = columns.some((entry) => entry.column.name === this.#idColumn);
    const idColumn = description.columns.get(this.#idColumn);
    const sequence = description.idSequence;
    if (!idGiven && !sequence && idColumn?.type !== 'uuid') {
      throw new InvalidRowsError(
        this.entity,
        `createMany() of ${rows.length} rows uses COPY, which needs the ids up front, but "${this.#idColumn}" has no ` +
          'sequence (serial or identity) and is not a uuid. Give every row an id.',
      );
    }
    const ownTransaction =
      !idGiven &&
      sequence !== null &&
      idColumn !== undefined &&
      description.idSequenceIncrement === 1 &&
      Date.now() >= this.#sequenceContendedUntil &&
      getAmbientConnection(this.pool as Pool) === undefined;
    const connection = await knexClient.acquireConnection();
    try {
      if (ownTransaction) {
        // Rows are checked while they stream, so the COPY starts at once; the transaction is
        // ours, so a bad row (or a value the binary format cannot take) just rolls it back.
        const batch = new CopyRows(this.entity, this.#table, rows, columns, {
          fields,
          validate: 'streaming',
        });
        const copyDefault = (format?: 'text') =>
          copyWithSequenceDefault(connection, {
            sequence,
            idType: idColumn.type,
            count: rows.length,
            ...batch.copy(undefined, format),
          });
        const recovered = await copyDefault().catch((error: unknown) => {
          if (error instanceof BinaryFormatMismatch) return copyDefault('text');
          throw error;
        });
        if (recovered) return recovered as IdOf<M>[];
        // Another session used the sequence meanwhile: take ids up front for a while.
        this.#sequenceContendedUntil = Date.now() + SEQUENCE_CONTENTION_BACKOFF_MS;
      }
      const batch = new CopyRows(this.entity, this.#table, rows, columns, { fields, validate: 'upfront' });
      if (idGiven) {
        const { statement, chunks } = batch.copy();
        await copyFromStdin(connection, statement, chunks);
        const idField = columns.find((entry) => entry.column.name === this.#idColumn)?.field as string;
        return rows.map((row) => row[idField] as IdOf<M>);
      }
      const ids =
        sequence && idColumn
          ? await preallocateIds(
              (text, values) => connection.query(text, values),
              sequence,
              rows.length,
              idColumn.type,
            )
          : rows.map(() => randomUUID());
      const { statement, chunks } = batch.copy({ column: idColumn as ColumnDescription, values: ids });
      await copyFromStdin(connection, statement, chunks);
      return ids as IdOf<M>[];
    } finally {
      await knexClient.releaseConnection(connection);
    }
  }

  async #hydrate(rows: readonly object[], relations: object | undefined): Promise<M[]> {
    const entities = rows.map((row) => this.model.fromDatabaseJson(row) as M);
    if (this.#runsAfterFind) {
      for (const entity of entities) await entity.$afterFind({ transaction: this.pool.knex } as never);
    }
    if (relations && entities.length > 0) {
      await this.#run(() =>
        this.model.fetchGraph(entities as PartialModelObject<M>[], relations as never, {
          transaction: this.pool.knex,
        }),
      );
    }
    return entities;
  }

  async #missingOrConflict(id: IdOf<M>, version: number | undefined): Promise<Error> {
    if (version !== undefined) {
      const { rows } = await this.#run(() => this.pool.query(this.#existsSql, [id]));
      if (rows.length > 0) return new OptimisticLockError(this.#table, id, version);
    }
    return new NotFoundError(this.entity, [id]);
  }

  #applyWhere(query: QueryBuilder<M, M[]>, where: Where<M>): string[] {
    if (typeof where !== 'object' || where === null || Array.isArray(where)) {
      throw new InvalidQueryError('where', 'must be an object of field filters');
    }
    const fields: string[] = [];
    for (const [field, filter] of Object.entries(where as Record<string, unknown>)) {
      if (filter === undefined) continue;
      this.#assertAllowed(field, 'filter');
      fields.push(field);
      const column = this.#qualified(this.#column(field));
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

  #assertAllowed(field: string, use: 'sort' | 'filter'): void {
    if (field === this.#idProperty) return;
    const allowed = use === 'sort' ? this.options.sortable : this.options.filterable;
    if (!allowed.includes(field)) throw new FieldNotAllowedError(this.entity, field, use, allowed);
  }

  async #assertWritable(data: unknown): Promise<void> {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new InvalidRowsError(this.entity, 'give the fields as an object');
    }
    const description = await this.#describe();
    for (const [field, value] of Object.entries(data)) {
      if (value !== undefined) this.#assertWritableField(field, description);
    }
  }

  #assertWritableField(field: string, description: TableDescription): void {
    const { writable } = this.options;
    if (writable !== undefined) {
      if (!writable.includes(field)) throw new FieldNotAllowedError(this.entity, field, 'write', writable);
    } else if (!description.columns.has(this.#column(field))) {
      throw this.#notAColumn(field, 'write');
    }
  }

  #notAColumn(field: string, use: 'sort' | 'filter' | 'write'): FieldNotAllowedError {
    return new FieldNotAllowedError(
      this.entity,
      field,
      use,
      [],
      `"${field}" is not a column of table ${this.#table}.`,
    );
  }

  #column(field: string): string {
    return this.model.propertyNameToColumnName(field);
  }

  #qualified(column: string): string {
    return `${this.#table}.${column}`;
  }

  #describe(): Promise<TableDescription> {
    if (!this.#description) {
      this.#description = this.#run(() =>
        describeTable((text, values) => this.pool.query(text, values), this.#table, this.#idColumn),
      ).then((description) => {
        if (description.columns.size === 0)
          throw new InvalidQueryError('model.tableName', `table ${this.#table} has no columns`);
        return description;
      });
      // A failed lookup (e.g. the table does not exist yet) is retried next time.
      this.#description.catch(() => {
        this.#description = undefined;
      });
    }
    return this.#description;
  }

  async #run<T>(work: () => PromiseLike<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw mapDatabaseError(error);
    }
  }
}
