import type { Pool, QueryResult } from './pool.js';
import { ClientReleasedError } from './pool-errors.js';
import type { PooledConnection } from './pooled-connection.js';

/** A connection checked out with `pool.connect()`. */
export interface PoolClient {
  /** The pool it came from. */
  readonly pool: Pool;
  /** The backend's process id, as `pg_backend_pid()` reports it. */
  readonly processId: number;
  /** True once `release()` was called. */
  readonly released: boolean;
  /** Runs one statement on this connection; same rules and typed errors as `pool.query`. */
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Returns the connection to the pool, or closes it when `destroy` is true. Call exactly once. */
  release(destroy?: boolean): void;
}

/**
 * What a checked-out client needs from its pool.
 * @internal
 */
export interface ClientOwner {
  readonly pool: Pool;
  runOn<Row>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>>;
  release(connection: PooledConnection, destroy: boolean): void;
}

/**
 * One checkout of a connection; a fresh object each time, so a stale reference cannot reach the next holder.
 * @internal
 */
export class CheckedOutClient implements PoolClient {
  readonly #owner: ClientOwner;
  readonly #connection: PooledConnection;
  #released = false;

  constructor(owner: ClientOwner, connection: PooledConnection) {
    this.#owner = owner;
    this.#connection = connection;
  }

  get pool(): Pool {
    return this.#owner.pool;
  }

  get processId(): number {
    return this.#connection.processId;
  }

  get released(): boolean {
    return this.#released;
  }

  /** The pooled connection, whether or not released (for identity checks only). */
  get pooled(): PooledConnection {
    return this.#connection;
  }

  /** The pooled connection, for the pool's own query paths. Throws once released. */
  connection(): PooledConnection {
    if (this.#released) throw new ClientReleasedError();
    return this.#connection;
  }

  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>> {
    if (this.#released) return Promise.reject(new ClientReleasedError());
    return this.#owner.runOn<Row>(this.#connection, text, values);
  }

  release(destroy = false): void {
    if (this.#released) throw new ClientReleasedError();
    this.#released = true;
    this.#owner.release(this.#connection, destroy);
  }
}
