import { BaseModel } from '@strata/repository';

/**
 * A user of the sample shop (table `users`). Ids are `bigint` in PostgreSQL and arrive as
 * strings, so no id ever loses precision; `version` is the optimistic-locking counter.
 */
export class User extends BaseModel {
  static override tableName = 'users';

  declare id: string;
  declare email: string;
  declare name: string;
  declare version: number;
}
