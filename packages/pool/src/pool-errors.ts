import { StrataError } from '@strata/errors';

/** The pool's counts at the moment an error was raised. */
export interface PoolCounts {
  total: number;
  idle: number;
  active: number;
  waiting: number;
  max: number;
}

/**
 * No connection became free within `acquireTimeout`. The counts show whether the pool is
 * simply too small for the load or connections are being held (leaked) somewhere.
 */
export class PoolTimeoutError extends StrataError {
  readonly counts: PoolCounts;

  constructor(timeoutMs: number, counts: PoolCounts) {
    super(
      'POOL_TIMEOUT',
      `Timed out after ${timeoutMs} ms waiting for a database connection ` +
        `(total ${counts.total}, idle ${counts.idle}, active ${counts.active}, waiting ${counts.waiting}, max ${counts.max}). ` +
        'Raise max or acquireTimeout, keep transactions short, or look for connections that are never released.',
    );
    this.counts = counts;
  }
}

/** The pool was closed (or is closing); it hands out no more connections. */
export class PoolClosedError extends StrataError {
  constructor() {
    super('POOL_CLOSED', 'The pool is closed and hands out no more connections. Create a new pool.');
  }
}

/** A client from `pool.connect()` was used after `release()`. */
export class ClientReleasedError extends StrataError {
  constructor() {
    super(
      'CLIENT_RELEASED',
      'This client was already released to the pool and can no longer be used. Call pool.connect() again.',
    );
  }
}

/**
 * `pool.knex` was used, but the `knex` package (an optional peer dependency of @strata/pool)
 * is not installed where the pool can load it.
 */
export class KnexNotInstalledError extends StrataError {
  constructor(options: { cause?: unknown } = {}) {
    super(
      'KNEX_NOT_INSTALLED',
      'pool.knex needs the "knex" package, an optional peer dependency of @strata/pool that is not installed. ' +
        'Install it next to @strata/pool (`npm install knex`), or use pool.query() and pool.connect() instead.',
      options,
    );
  }
}
