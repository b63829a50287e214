import { OptimisticLockError, updateWithVersion } from '@strata/transactions';
import type { Model, PartialModelObject } from 'objection';
import { CREATED_AT, type ModelTable, UPDATED_AT, VERSION_COLUMN } from './model-table.js';
import type { FieldOf, IdOf, NewEntity } from './model-types.js';
import { InvalidQueryError, InvalidRowsError, NotFoundError } from './repository-errors.js';
import type { EntityReads } from './repository-reads.js';

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

/**
 * The single-entity writes of a repository, through Objection on `pool.knex` (so model hooks
 * and jsonSchema validation run), with `version` and `updated_at` kept by the repository.
 */
export class EntityWrites<M extends Model> {
  readonly #table: ModelTable<M>;
  readonly #reads: EntityReads<M>;

  constructor(table: ModelTable<M>, reads: EntityReads<M>) {
    this.#table = table;
    this.#reads = reads;
  }

  async create(data: NewEntity<M>): Promise<M> {
    const table = this.#table;
    await table.assertWritable(data);
    return (await table.run(() => table.query().insert(data).returning('*') as PromiseLike<unknown>)) as M;
  }

  async update(id: IdOf<M>, patch: PartialModelObject<M>, options: VersionOptions): Promise<M> {
    const table = this.#table;
    const description = await table.describe();
    await table.assertWritable(patch);
    const data: Record<string, unknown> = { ...patch };
    if (table.idProperty in data) {
      throw new InvalidRowsError(table.entity, `update() cannot change the id (field "${table.idProperty}")`);
    }
    const versioned = description.columns.has(VERSION_COLUMN);
    const versionProperty = table.model.columnNameToPropertyName(VERSION_COLUMN);
    if (options.version !== undefined && !versioned) {
      throw new InvalidQueryError('version', `table ${table.name} has no "${VERSION_COLUMN}" column`);
    }
    if (versioned && versionProperty in data) {
      throw new InvalidRowsError(
        table.entity,
        `"${versionProperty}" is managed: pass the version read as { version }`,
      );
    }
    if (options.version !== undefined) return this.#updateVersion(id, patch, options.version);
    if (versioned) data[versionProperty] = table.pool.knex.raw('?? + 1', [VERSION_COLUMN]);
    const rows = (await table.run(
      () =>
        table
          .query()
          .patch(data as PartialModelObject<M>)
          .where(table.qualified(table.idColumn), id as never)
          .returning('*') as PromiseLike<unknown>,
    )) as M[];
    if (rows[0]) return rows[0];
    throw new NotFoundError(table.entity, [id]);
  }

  async upsert(data: NewEntity<M>, options: UpsertOptions<M>): Promise<M> {
    const table = this.#table;
    const description = await table.describe();
    await table.assertWritable(data);
    const targets: readonly string[] =
      typeof options?.conflictTarget === 'string'
        ? [options.conflictTarget]
        : (options?.conflictTarget ?? []);
    if (!Array.isArray(targets) || targets.length === 0) {
      throw new InvalidQueryError('conflictTarget', 'name the unique field(s) a conflict is detected on');
    }
    const targetColumns = targets.map((field) => {
      const column = table.column(field);
      if (!description.columns.has(column)) throw table.notAColumn(field, 'write');
      return column;
    });
    const given = Object.keys(data).filter((key) => (data as Record<string, unknown>)[key] !== undefined);
    const excluded = new Set([
      ...targets,
      table.idProperty,
      table.model.columnNameToPropertyName(CREATED_AT),
    ]);
    const fields = options.update ?? given.filter((field) => !excluded.has(field));
    const knex = table.pool.knex;
    const merge: Record<string, unknown> = {};
    for (const field of fields) {
      table.assertWritableField(field, description);
      merge[field] = knex.raw('excluded.??', [table.column(field)]);
    }
    if (description.columns.has(UPDATED_AT)) {
      merge[table.model.columnNameToPropertyName(UPDATED_AT)] = knex.raw('excluded.??', [UPDATED_AT]);
    }
    if (description.columns.has(VERSION_COLUMN)) {
      // Qualified: inside DO UPDATE a bare name could mean the existing row or `excluded`.
      merge[table.model.columnNameToPropertyName(VERSION_COLUMN)] = knex.raw('?? + 1', [
        table.qualified(VERSION_COLUMN),
      ]);
    }
    // With nothing to overwrite, still "update" the target to itself so RETURNING yields the row.
    const mergeWith = Object.keys(merge).length > 0 ? merge : [targets[0] as string];
    return (await table.run(
      () =>
        table
          .query()
          .insert(data)
          .onConflict(targetColumns)
          .merge(mergeWith as PartialModelObject<M>)
          .returning('*') as PromiseLike<unknown>,
    )) as M;
  }

  async delete(id: IdOf<M>, options: VersionOptions): Promise<boolean> {
    const table = this.#table;
    const query = table
      .query()
      .delete()
      .where(table.qualified(table.idColumn), id as never);
    if (options.version !== undefined) query.where(table.qualified(VERSION_COLUMN), options.version);
    const deleted = (await table.run(() => query)) as unknown as number;
    if (deleted > 0) return true;
    if (options.version === undefined) return false;
    // Nothing deleted at that version: a row that still exists has another one.
    if (await this.#reads.exists(id)) throw new OptimisticLockError(table.name, id, options.version);
    return false;
  }

  // A version-checked update through @strata/transactions' updateWithVersion (one statement,
  // OptimisticLockError when the row changed or went away), with the model's patch handling:
  // jsonSchema validation, $beforeUpdate (updated_at) and column-name mapping.
  async #updateVersion(id: IdOf<M>, patch: PartialModelObject<M>, version: number): Promise<M> {
    const table = this.#table;
    const model = table.model.fromJson(patch as object, { patch: true });
    await model.$beforeUpdate({ patch: true }, { transaction: table.pool.knex } as never);
    const set = model.$toDatabaseJson() as Record<string, unknown>;
    const row = await table.run(() =>
      updateWithVersion(table.pool, {
        table: table.name,
        id,
        expectedVersion: version,
        set,
        idColumn: table.idColumn,
        versionColumn: VERSION_COLUMN,
      }),
    );
    const [entity] = await table.hydrate([row], undefined);
    return entity as M;
  }
}
