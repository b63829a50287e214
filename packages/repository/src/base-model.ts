import { Model, type ModelOptions, type QueryContext } from 'objection';

/** A primary key value: integers arrive as numbers (`int4`) or strings (`int8`), uuids as strings. */
export type Id = string | number;

/**
 * The model every repository entity extends: an `id` primary key, `created_at` and
 * `updated_at` set by the application (never by triggers) and an optional `version` column
 * for optimistic locking. Declare your own columns with `declare`, so class fields do not
 * shadow what Objection sets:
 *
 * ```ts
 * class User extends BaseModel {
 *   static override tableName = 'users';
 *   declare email: string;
 * }
 * ```
 */
export class BaseModel extends Model {
  declare id: Id;
  declare created_at: Date;
  declare updated_at: Date;
  /** Present when the table has a `version` column; `update(id, patch, { version })` checks it. */
  declare version?: number;

  override $beforeInsert(_context: QueryContext): void {
    const now = new Date();
    // An explicit created_at (e.g. when importing history) is kept; otherwise both are now.
    this.created_at ??= now;
    this.updated_at ??= now;
  }

  override $beforeUpdate(_options: ModelOptions, _context: QueryContext): void {
    this.updated_at = new Date();
  }
}
