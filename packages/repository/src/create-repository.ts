import type { Model, ModelClass } from 'objection';
import type { RepositoryPool } from './model-table.js';
import type { FieldOf } from './model-types.js';
import { Repository } from './repository.js';
import type { RepositoryOptions } from './repository-options.js';

/**
 * A repository for `model` on `pool`, for when no methods of your own are needed:
 * `const users = createRepository(pool, User, { filterable: ['email'], sortable: ['created_at'] })`.
 * Invalid options throw InvalidConfigError naming every bad field. The `sortable` and
 * `filterable` fields are inferred as literal types: `list({ orderBy: 'name' })` does not compile
 * unless `name` is sortable (the id always is).
 */
export function createRepository<
  C extends typeof Model,
  S extends FieldOf<InstanceType<C>> = never,
  F extends FieldOf<InstanceType<C>> = never,
>(
  pool: RepositoryPool,
  model: C,
  options: RepositoryOptions<InstanceType<C>, S, F> = {},
): Repository<InstanceType<C>, S, F> {
  return new Repository<InstanceType<C>, S, F>(
    pool,
    model as unknown as ModelClass<InstanceType<C>>,
    options,
  );
}
