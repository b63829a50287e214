import type { Model, ModelObject, PartialModelObject } from 'objection';
import type { Id } from './base-model.js';
import type { FieldFilter } from './where-filter.js';

/** The data fields of a model (its columns and relations, not its methods). */
export type FieldOf<M extends Model> = Extract<keyof ModelObject<M>, string>;

/**
 * The `id` field when the model has one: always sortable and filterable, whatever the
 * allowlists say. (A model whose id column is named otherwise lists it explicitly.)
 */
export type IdField<M extends Model> = Extract<'id', FieldOf<M>>;

/**
 * Filters for `list` and `findOne`: field → value, `null`, array (IN) or `{ gt, lte, ... }`.
 * `F` is the fields that may be filtered on (a repository's `filterable` list and its id).
 */
export type Where<M extends Model, F extends FieldOf<M> = FieldOf<M>> = {
  [K in F]?: FieldFilter<NonNullable<M[K]>>;
};

/** The primary key type of a model. */
export type IdOf<M extends Model> = M extends { id: infer I } ? I : Id;

/** Rows given to `create`/`createMany`/`upsert`. */
export type NewEntity<M extends Model> = PartialModelObject<M>;
