import type { Model, ModelClass } from 'objection';
import type { RepositoryPool } from './model-table.js';
import { Repository } from './repository.js';
import type { RepositoryOptions } from './repository-options.js';

/**
 * A repository for `model` on `pool`, for when no methods of your own are needed:
 * `const users = createRepository(pool, User, { filterable: ['email'], sortable: ['created_at'] })`.
 * Invalid options throw InvalidConfigError naming every bad field.
 */
export function createRepository<C extends typeof Model>(
  pool: RepositoryPool,
  model: C,
  options: RepositoryOptions<InstanceType<C>> = {},
): Repository<InstanceType<C>> {
  return new Repository(pool, model as unknown as ModelClass<InstanceType<C>>, options);
}
