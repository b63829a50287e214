export { BaseModel, type Id } from './base-model.js';
export { createRepository } from './create-repository.js';
export type { OrderBy, SortDirection, SortKey } from './order-by.js';
export type { With } from './relation-expression.js';
export {
  type FieldOf,
  type IdOf,
  type ListOptions,
  type NewEntity,
  type Page,
  type ReadOptions,
  Repository,
  type RepositoryOptions,
  type RepositoryPool,
  type UpsertOptions,
  type VersionOptions,
  type Where,
} from './repository.js';
export {
  FieldNotAllowedError,
  InvalidCursorError,
  InvalidQueryError,
  InvalidRowsError,
  MultipleRowsFoundError,
  NotFoundError,
  UnknownRelationError,
} from './repository-errors.js';
export type { Comparison, FieldFilter } from './where-filter.js';
