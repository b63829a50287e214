export { BaseModel, type Id } from './base-model.js';
export { createRepository } from './create-repository.js';
export type { RepositoryPool } from './model-table.js';
export type { FieldOf, IdOf, NewEntity, Where } from './model-types.js';
export type { OrderBy, SortDirection, SortKey } from './order-by.js';
export type { With } from './relation-expression.js';
export { Repository } from './repository.js';
export {
  FieldNotAllowedError,
  InvalidCursorError,
  InvalidQueryError,
  InvalidRowsError,
  InvalidTextError,
  MultipleRowsFoundError,
  NotFoundError,
  UnknownRelationError,
} from './repository-errors.js';
export type { ListOptions, Page } from './repository-list.js';
export type { RepositoryOptions } from './repository-options.js';
export type { ReadOptions } from './repository-reads.js';
export type { UpsertOptions, VersionOptions } from './repository-writes.js';
export {
  findUnstorableText,
  type UnstorableText,
  type UnstorableTextReason,
} from './unstorable-text.js';
export type { Comparison, FieldFilter } from './where-filter.js';
