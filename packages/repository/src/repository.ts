import { InvalidConfigError, qualifiedNameProblem } from '@strata/errors';
import { Model, type ModelClass, type PartialModelObject, type QueryBuilder } from 'objection';
import { BulkInsert } from './create-many.js';
import { ModelTable, type RepositoryPool } from './model-table.js';
import type { FieldOf, IdField, IdOf, NewEntity, Where } from './model-types.js';
import { NotFoundError } from './repository-errors.js';
import { KeysetPages, type ListOptions, type Page } from './repository-list.js';
import {
  parseRepositoryOptions,
  type RawRepositoryOptions,
  type RepositoryOptions,
  type ResolvedRepositoryOptions,
} from './repository-options.js';
import { EntityReads, type ReadOptions } from './repository-reads.js';
import { RepositoryTracing } from './repository-tracing.js';
import { EntityWrites, type UpsertOptions, type VersionOptions } from './repository-writes.js';

/**
 * A repository for one model: hot reads (`getById`, `findById`, `getManyByIds`) run as prepared
 * statements through `pool.query` and hydrate models directly; everything else runs through
 * Objection on `pool.knex`; `createMany` switches to `COPY … FROM STDIN` for large batches.
 * Every method joins the ambient transaction (`withTransaction`) when one is open, and database
 * errors arrive typed (`UniqueViolationError`, ...). Table and column names are quoted exactly,
 * so mixed-case names and names with `$` work. Extend it to add queries of your own:
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
 *
 * `S` and `F` type the `sortable` and `filterable` fields, so `list()` and `findOne()` reject
 * other fields at compile time. `createRepository` (and `new Repository`) infer them from the
 * options; a subclass states them: `extends Repository<User, 'created_at', 'email'>`. Left out,
 * they allow every field, and the allowlists are checked at run time only.
 */
export class Repository<
  M extends Model,
  S extends FieldOf<M> = FieldOf<M>,
  F extends FieldOf<M> = FieldOf<M>,
> {
  readonly pool: RepositoryPool;
  readonly model: ModelClass<M>;
  /** The entity name used in errors (the model class name unless `entityName` is set). */
  readonly entity: string;
  readonly options: Readonly<ResolvedRepositoryOptions>;

  readonly #reads: EntityReads<M>;
  readonly #pages: KeysetPages<M>;
  readonly #writes: EntityWrites<M>;
  readonly #bulk: BulkInsert<M>;
  readonly #tracing: RepositoryTracing;

  constructor(pool: RepositoryPool, model: ModelClass<M>, options: RepositoryOptions<M, S, F> = {}) {
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
      } else {
        const problem = qualifiedNameProblem(model.tableName);
        if (problem) issues.push({ path: 'model.tableName', message: problem });
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
    const table = new ModelTable(pool, model, this.entity, this.options, () => this.query());
    this.#tracing = new RepositoryTracing(pool, table.name, this.entity);
    this.#reads = new EntityReads(table);
    this.#pages = new KeysetPages(table);
    this.#writes = new EntityWrites(table, this.#reads);
    this.#bulk = new BulkInsert(table, this.#tracing);
  }

  /** The entity with `id`, or NotFoundError naming the entity and the id. */
  getById(id: IdOf<M>, options: ReadOptions = {}): Promise<M> {
    return this.#tracing.run('getById', async () => {
      const entity = await this.findById(id, options);
      if (entity === undefined) throw new NotFoundError(this.entity, [id]);
      return entity;
    });
  }

  /** The entity with `id`, or undefined. One prepared statement (plus one per relation in `with`). */
  findById(id: IdOf<M>, options: ReadOptions = {}): Promise<M | undefined> {
    return this.#tracing.run('findById', () => this.#reads.findById(id, options));
  }

  /**
   * The entities with `ids`, in the order asked (a repeated id appears repeatedly), fetched with
   * one prepared statement. If any id has no row, throws NotFoundError whose `ids` lists every
   * missing one.
   */
  getManyByIds(ids: readonly IdOf<M>[], options: ReadOptions = {}): Promise<M[]> {
    return this.#tracing.run('getManyByIds', async () => {
      const found = await this.findManyByIds(ids, options);
      const missing = ids.filter((_, index) => found[index] === undefined);
      if (missing.length > 0) throw new NotFoundError(this.entity, missing);
      return found as M[];
    });
  }

  /**
   * Like `getManyByIds`, but a missing id yields `undefined` at its position instead of an error:
   * the shape a DataLoader batch function returns.
   */
  findManyByIds(ids: readonly IdOf<M>[], options: ReadOptions = {}): Promise<(M | undefined)[]> {
    return this.#tracing.run('findManyByIds', () => this.#reads.findManyByIds(ids, options));
  }

  /**
   * The one entity matching `where` (fields from `filterable`), or undefined. More than one match
   * is a MultipleRowsFoundError: findOne is for filters that identify a single row.
   */
  findOne(where: Where<M, F | IdField<M>>, options: ReadOptions = {}): Promise<M | undefined> {
    // The narrower field types are a compile-time view; the allowlists are checked at run time.
    return this.#tracing.run('findOne', () => this.#reads.findOne(where as Where<M>, options));
  }

  /**
   * One page of entities matching `where`, sorted by `orderBy` with keyset (cursor) pagination:
   * the next page starts strictly after the last row of this one, so rows inserted or deleted
   * between calls never shift a page (no row is skipped or repeated). `limit` above
   * `maxPageSize` is an error.
   */
  list(options: ListOptions<M, S, F> = {}): Promise<Page<M>> {
    return this.#tracing.run('list', () => this.#pages.list(options as ListOptions<M>));
  }

  /** Inserts one entity and returns it as stored (defaults and generated id included). */
  create(data: NewEntity<M>): Promise<M> {
    return this.#tracing.run('create', () => this.#writes.create(data));
  }

  /**
   * Inserts many entities and returns their ids, in input order. Below `copyThreshold` rows it
   * is one multi-row INSERT; from it on, `COPY … FROM STDIN`, with the ids read back from the
   * id's sequence around the COPY, or taken from it up front when other sessions use it too
   * (uuid ids are generated). A constant number of statements, never one per row, and
   * all-or-nothing. Every row must carry the same fields.
   * Rows are written as given (plus timestamps): model hooks and jsonSchema validation do not run.
   */
  createMany(rows: readonly NewEntity<M>[]): Promise<IdOf<M>[]> {
    return this.#tracing.run('createMany', () => this.#bulk.createMany(rows));
  }

  /**
   * Applies `patch` to the entity with `id` and returns it as stored; `updated_at` is set and a
   * `version` column incremented. With `{ version }`, the update applies only to that version and
   * throws OptimisticLockError otherwise. NotFoundError when there is no such entity.
   */
  update(id: IdOf<M>, patch: PartialModelObject<M>, options: VersionOptions = {}): Promise<M> {
    return this.#tracing.run('update', () => this.#writes.update(id, patch, options));
  }

  /**
   * Inserts `data`, or, when it conflicts on `conflictTarget` (a unique constraint's fields),
   * updates the existing row with it (`INSERT … ON CONFLICT (…) DO UPDATE`). Returns the stored
   * row either way; on update `created_at` is kept, `updated_at` set and `version` incremented.
   */
  upsert(data: NewEntity<M>, options: UpsertOptions<M>): Promise<M> {
    return this.#tracing.run('upsert', () => this.#writes.upsert(data, options));
  }

  /**
   * Deletes the entity with `id`; true if it existed. With `{ version }`, deletes only that
   * version and throws OptimisticLockError if the row has another.
   */
  delete(id: IdOf<M>, options: VersionOptions = {}): Promise<boolean> {
    return this.#tracing.run('delete', () => this.#writes.delete(id, options));
  }

  /**
   * An Objection query on this repository's model, bound to the pool's Knex (so it joins the
   * ambient transaction). For a subclass's own queries; overriding it scopes the built-in ones.
   */
  protected query(): QueryBuilder<M, M[]> {
    return this.model.query(this.pool.knex) as unknown as QueryBuilder<M, M[]>;
  }
}
