import { AsyncLocalStorage } from 'node:async_hooks';
import { StrataError } from '@strata/errors';
import type { Pool } from './pool.js';
import { CheckedOutClient, type PoolClient } from './pool-client.js';
import type { PooledConnection } from './pooled-connection.js';

interface AmbientFrame {
  readonly pool: Pool;
  readonly client: PoolClient;
  readonly outer: AmbientFrame | undefined;
}

// Frames form a chain so each pool keeps its own ambient connection when code for two pools nests.
const storage = new AsyncLocalStorage<AmbientFrame>();

/**
 * Runs `fn` with `client` as the ambient connection of `pool`: while it (and everything it
 * awaits) runs, `pool.query()` and every Knex or Objection query through `pool.knex` use that
 * connection instead of taking one from the pool, and never release it; `pool.knex.transaction()`
 * becomes a savepoint when the connection is inside a transaction. The caller still owns the
 * client and releases it. This is the hook `@strata/transactions` builds on.
 */
export function runWithConnection<T>(pool: Pool, client: PoolClient, fn: () => T): T {
  if (!(client instanceof CheckedOutClient) || client.pool !== pool) {
    throw new StrataError(
      'AMBIENT_CONNECTION_MISMATCH',
      'runWithConnection() was given a client from a different pool. Use a client from pool.connect() of the same pool.',
    );
  }
  return storage.run({ pool, client, outer: storage.getStore() }, fn);
}

/** The client that is ambient for `pool` in the current async context, or undefined. */
export function getAmbientConnection(pool: Pool): PoolClient | undefined {
  for (let frame = storage.getStore(); frame !== undefined; frame = frame.outer) {
    if (frame.pool === pool) return frame.client;
  }
  return undefined;
}

/**
 * The pooled connection behind the ambient client of `pool`, for the pool's own query paths.
 * Throws ClientReleasedError when the ambient client was already released.
 * @internal
 */
export function ambientConnectionOf(pool: Pool): PooledConnection | undefined {
  const client = getAmbientConnection(pool);
  return client === undefined ? undefined : (client as CheckedOutClient).connection();
}
