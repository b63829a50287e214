import { NotFoundError, type Page, Repository, type RepositoryPool } from '@strata/repository';
import { OptimisticLockError } from '@strata/transactions';
import { User } from './user-model.js';

/** The sort orders `GET /users` offers: the allowlist that user input is checked against. */
export const USER_SORTS = ['id', '-id', 'createdAt', '-createdAt'] as const;

export type UserSort = (typeof USER_SORTS)[number];

const ORDER_BY = {
  id: { field: 'id', direction: 'asc' },
  '-id': { field: 'id', direction: 'desc' },
  createdAt: { field: 'created_at', direction: 'asc' },
  '-createdAt': { field: 'created_at', direction: 'desc' },
} as const;

/** The fields a caller may change on a user. */
export interface UserChanges {
  email?: string | undefined;
  name?: string | undefined;
}

/**
 * Users: hot reads by id as prepared statements, keyset pages, and version-checked
 * updates and deletes (optimistic locking). Only `email` and `name` are writable, so a
 * request body can never set ids, versions or timestamps.
 */
export class UserRepository extends Repository<User> {
  constructor(pool: RepositoryPool, options: { cursorSecret?: string | undefined } = {}) {
    super(pool, User, {
      filterable: ['email'],
      sortable: ['created_at'],
      writable: ['email', 'name'],
      defaultPageSize: 20,
      maxPageSize: 100,
      ...(options.cursorSecret ? { cursorSecret: options.cursorSecret } : {}),
    });
  }

  /** One page of users, optionally only the one with `email`, in a sort order from USER_SORTS. */
  listUsers(options: {
    email?: string | undefined;
    sort: UserSort;
    limit: number;
    after?: string | undefined;
  }): Promise<Page<User>> {
    return this.list({
      where: options.email === undefined ? {} : { email: options.email },
      orderBy: ORDER_BY[options.sort],
      limit: options.limit,
      after: options.after ?? null,
    });
  }

  /**
   * Applies `changes` only if the user still has `version` (one UPDATE … WHERE version = $n).
   * A user that changed since is an OptimisticLockError; one that is gone, NotFoundError.
   */
  async updateIfVersion(id: string, changes: UserChanges, version: number): Promise<User> {
    const patch = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    try {
      return await this.update(id, patch, { version });
    } catch (error) {
      // The versioned UPDATE matched nothing: tell "changed" from "deleted" for the caller.
      if (error instanceof OptimisticLockError && (await this.findById(id)) === undefined) {
        throw new NotFoundError(this.entity, [id]);
      }
      throw error;
    }
  }
}
