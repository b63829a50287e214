import type { HostAddress } from './multi-host-url.js';
import type { PooledConnection } from './pooled-connection.js';

/**
 * Opens one connection to `host` for the pool. The pool's is `PgBouncerMode.open`: whichever
 * host a connector picks, PgBouncer detection and session settings apply to what it opens.
 * @internal
 */
export type ConnectionOpener = (host: HostAddress, id: number, lifetime: number) => Promise<PooledConnection>;

/**
 * Where a pool's new connections come from: one server (`DirectConnector`), or whichever of
 * several hosts matches `target_session_attrs` (`PrimaryResolver`).
 * @internal
 */
export interface ServerConnector {
  /** Opens one connection for the pool; rejects with the (typed) reason. */
  open(id: number, lifetime: number): Promise<PooledConnection>;
  /** Tells the connector that `connection` broke (no `error`) or that a statement on it failed with `error`. */
  observe(connection: PooledConnection, error?: unknown): void;
  /** The error for a caller that waited `waitedMs` for a connection because no server could be used; else undefined. */
  unavailable(waitedMs: number): Error | undefined;
  /** The server new connections go to, when known. */
  readonly current: HostAddress | undefined;
  /** Whether it is looking for the server right now. */
  readonly resolving: boolean;
  /** TCP connection attempts so far, probes included. */
  readonly attempts: number;
  /** Checks the current server's role again (called every `topologyCheckPeriod`). */
  recheck(): Promise<void>;
  close(): void;
}

/**
 * One server, connected to as configured: no role checks, no probes.
 * @internal
 */
export class DirectConnector implements ServerConnector {
  readonly #open: ConnectionOpener;
  readonly current: HostAddress;
  readonly resolving = false;
  attempts = 0;

  constructor(host: HostAddress, open: ConnectionOpener) {
    this.#open = open;
    this.current = { host: host.host, port: host.port };
  }

  open(id: number, lifetime: number): Promise<PooledConnection> {
    this.attempts += 1;
    return this.#open(this.current, id, lifetime);
  }

  observe(): void {}

  unavailable(): undefined {
    return undefined;
  }

  recheck(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}
