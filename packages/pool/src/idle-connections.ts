import type { RemovalReason } from './pool.js';
import type { PoolSettings } from './pool-config.js';
import type { PooledConnection } from './pooled-connection.js';

/** What the idle connections need from their pool. */
export interface IdleConnectionsOwner {
  readonly closed: boolean;
  /** Closes a connection, for `reason`. */
  remove(connection: PooledConnection, reason: RemovalReason): void;
  /** Gives a connection that is fit for use to a waiting caller, or back to the idle stack. */
  handOver(connection: PooledConnection): void;
  /** Lets close() wait for a round trip under way. */
  track<T>(promise: Promise<T>): Promise<T>;
}

/**
 * The pool's idle connections, the most recently released on top: taken from the top (its
 * caches and the server's are warmest), and probed by the periodic health check.
 */
export class IdleConnections {
  #stack: PooledConnection[] = [];
  readonly #settings: Pick<PoolSettings, 'pingAfterIdle' | 'idleTimeout' | 'connectTimeout'>;
  readonly #owner: IdleConnectionsOwner;

  constructor(settings: PoolSettings, owner: IdleConnectionsOwner) {
    this.#settings = settings;
    this.#owner = owner;
  }

  get size(): number {
    return this.#stack.length;
  }

  put(connection: PooledConnection): void {
    connection.state = 'idle';
    this.#stack.push(connection);
  }

  /**
   * The connection on top if it can be used without a round trip, closing on the way those
   * that must retire. Undefined when none is idle, or when the top one idled past
   * `pingAfterIdle`: that one stays on top for `takeToProbe`.
   */
  take(now: number): PooledConnection | undefined {
    for (;;) {
      const connection = this.#stack.pop();
      if (connection === undefined) return undefined;
      const reason = connection.removalReason(now, this.#owner.closed);
      if (reason !== undefined) {
        this.#owner.remove(connection, reason);
        continue;
      }
      const { pingAfterIdle } = this.#settings;
      if (pingAfterIdle > 0 && now - connection.lastReleasedAt > pingAfterIdle) {
        this.#stack.push(connection);
        return undefined;
      }
      return connection;
    }
  }

  /** The connection `take` left on top because it idled long; the caller pings it before use. */
  takeToProbe(): PooledConnection | undefined {
    const connection = this.#stack.pop();
    if (connection !== undefined) connection.state = 'probing';
    return connection;
  }

  /** Takes a connection out of the stack (it is being closed). */
  remove(connection: PooledConnection): void {
    const index = this.#stack.indexOf(connection);
    if (index !== -1) this.#stack.splice(index, 1);
  }

  /** A copy of the stack, bottom first. */
  snapshot(): PooledConnection[] {
    return [...this.#stack];
  }

  /**
   * The health check: takes every idle connection out, closes those that are broken, past
   * their lifetime or idle past `idleTimeout`, and pings the rest within `connectTimeout`;
   * those that answer are handed over again.
   */
  async check(now: number): Promise<{ probed: number; removed: number }> {
    const { idleTimeout, connectTimeout } = this.#settings;
    let removed = 0;
    const probes: Promise<void>[] = [];
    const idle = this.#stack;
    this.#stack = [];
    for (const connection of idle) {
      connection.state = 'probing';
      const reason =
        connection.removalReason(now, this.#owner.closed) ??
        (idleTimeout > 0 && now - connection.lastReleasedAt >= idleTimeout ? 'idle-timeout' : undefined);
      if (reason !== undefined) {
        this.#owner.remove(connection, reason);
        removed += 1;
        continue;
      }
      probes.push(
        this.#owner.track(connection.ping(connectTimeout)).then((alive) => {
          if (!alive || this.#owner.closed) {
            this.#owner.remove(connection, alive ? 'pool-closed' : 'health-check');
            if (!alive) removed += 1;
          } else {
            this.#owner.handOver(connection);
          }
        }),
      );
    }
    await Promise.all(probes);
    return { probed: probes.length, removed };
  }
}
