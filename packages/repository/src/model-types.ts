import type { Model, ModelObject, PartialModelObject } from 'objection';
import type { Id } from './base-model.js';
import type { FieldFilter } from './where-filter.js';

/** The data fields of a model (its columns and relations, not its methods). */
export type FieldOf<M extends Model> = Extract<keyof ModelObject<M>, string>;

/** Filters for `list` and `findOne`: field → value, `null`, array (IN) or `{ gt, lte, ... }`. */
export type Where<M extends Model> = { [K in FieldOf<M>]?: FieldFilter<NonNullable<M[K]>> };

/** The primary key type of a model. */
export type IdOf<M extends Model> = M extends { id: infer I } ? I : Id;

/** Rows given to `create`/`createMany`/`upsert`. */
export type NewEntity<M extends Model> = PartialModelObject<M>;
