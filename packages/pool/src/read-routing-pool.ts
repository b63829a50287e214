import { EventEmitter } from 'node:events';
import type {
  ConsistencySession,
  ConsistencySessionOptions,
  ReadConsistency,
} from './consistency-session.js';
import type { Pool, PoolEvents } from './pool.js';
import type { PoolTopology, PoolTopologyStatus } from './pool-topology.js';
import type { PoolReader } from './read-router.js';

/**
 * The read-routing half of a pool's API — `replica`, `reader()`, `session()`,
 * `currentSession()`, `topology()` — answered by its topology. `ConnectionPool` extends it
 * and sets `routing` in its constructor.
 */
export abstract class ReadRoutingPool extends EventEmitter<PoolEvents> {
  protected routing!: PoolTopology;
  /** Set for a replica's pool: the pool it belongs to (ambient connections and Knex go by it). */
  readonly #parent: Pool | undefined;

  constructor(parent: Pool | undefined) {
    super();
    this.#parent = parent;
  }

  /** The pool callers know: this one, or for a replica's pool, the pool it belongs to. */
  get pool(): Pool {
    return this.#parent ?? (this as unknown as Pool);
  }

  get replica(): PoolReader {
    return this.routing.router.reader();
  }

  reader(consistency?: ReadConsistency): PoolReader {
    return this.routing.router.reader(consistency);
  }

  session(options?: ConsistencySessionOptions): ConsistencySession {
    return this.routing.router.session(options);
  }

  currentSession(): ConsistencySession | undefined {
    return this.routing.router.currentSession();
  }

  topology(): PoolTopologyStatus {
    return this.routing.status();
  }
}
