import { quoteIdentifier, quoteQualifiedName } from '@strata/errors';
import type { ReadConsistency } from '@strata/pool';
import type { Model } from 'objection';
import { applyWhere } from './apply-where.js';
import type { ModelTable } from './model-table.js';
import type { IdOf, Where } from './model-types.js';
import type { With } from './relation-expression.js';
import { InvalidQueryError, MultipleRowsFoundError } from './repository-errors.js';

/** Options of the single-entity reads. */
export interface ReadOptions {
  /** Relations to load with the entity, batched (`'items'`, `['items.product', 'customer']`). */
  with?: With;
  /**
   * Where to read: `primary`, `replica` (within the pool's `maxReplicaLag`) or
   * `read-your-writes`. Default: the repository's `reads`, else the pool's current session's
   * consistency, else the primary. Inside a transaction, reads run on its connection.
   */
  on?: ReadConsistency;
}

const UUID = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/i;

// Ids are matched as text: an int8 arrives as a string while callers may pass numbers, and
// PostgreSQL prints uuids in lower case whatever case they were asked in.
function idKey(id: unknown): string {
  const text = String(id);
  return UUID.test(text) ? text.toLowerCase() : text;
}

/**
 * The single-entity reads of a repository. Lookups by id are prepared statements through
 * `pool.query`, hydrated straight into models; `findOne` is an Objection query.
 */
export class EntityReads<M extends Model> {
  readonly #table: ModelTable<M>;
  readonly #byIdSql: string;
  readonly #byIdsSql: string;
  readonly #existsSql: string;

  constructor(table: ModelTable<M>) {
    this.#table = table;
    const from = quoteQualifiedName(table.name);
    const id = quoteIdentifier(table.idColumn);
    this.#byIdSql = `select * from ${from} where ${id} = $1`;
    this.#byIdsSql = `select * from ${from} where ${id} = any($1)`;
    this.#existsSql = `select 1 from ${from} where ${id} = $1`;
  }

  async findById(id: IdOf<M>, options: ReadOptions): Promise<M | undefined> {
    const table = this.#table;
    const relations = table.relations(options.with);
    const reads = table.readsOn(options.on);
    const { rows } = await table.run(() => reads.query(this.#byIdSql, [id]));
    const row = rows[0];
    if (row === undefined) return undefined;
    const [entity] = await table.hydrate([row], relations, reads.knex);
    return entity;
  }

  async findManyByIds(ids: readonly IdOf<M>[], options: ReadOptions): Promise<(M | undefined)[]> {
    if (!Array.isArray(ids)) throw new InvalidQueryError('ids', 'must be an array of ids');
    if (ids.length === 0) return [];
    const table = this.#table;
    const relations = table.relations(options.with);
    const unique = [...new Set(ids)];
    const reads = table.readsOn(options.on);
    const { rows } = await table.run(() => reads.query(this.#byIdsSql, [unique]));
    const entities = await table.hydrate(rows, relations, reads.knex);
    const byId = new Map(entities.map((entity) => [idKey(entity[table.idProperty as keyof M]), entity]));
    return ids.map((id) => byId.get(idKey(id)));
  }

  async findOne(where: Where<M>, options: ReadOptions): Promise<M | undefined> {
    const table = this.#table;
    const reads = table.readsOn(options.on);
    const query = table.query().limit(2);
    if (reads !== table.pool) query.transacting(reads.knex);
    const fields = applyWhere(table, query, where);
    const relations = table.relations(options.with);
    if (relations) query.withGraphFetched(relations);
    const rows = (await table.run(() => query)) as M[];
    if (rows.length > 1) throw new MultipleRowsFoundError(table.entity, fields);
    return rows[0];
  }

  /** Whether a row with `id` exists (in any version). */
  async exists(id: IdOf<M>): Promise<boolean> {
    const table = this.#table;
    const { rows } = await table.run(() => table.pool.query(this.#existsSql, [id]));
    return rows.length > 0;
  }
}
