import { ConnectionError, ReadOnlyTransactionError } from '@strata/errors';
import { connectFailure } from './connect-failure.js';
import { type FailoverBackoff, failoverDelay } from './failover-backoff.js';
import { formatHost, type HostAddress, sameHost, type TargetSessionAttrs } from './multi-host-url.js';
import { NoMatchingServerError } from './no-matching-server-error.js';
import type { DriverConfig } from './pool-config.js';
import { PoolClosedError } from './pool-errors.js';
import type { PooledConnection } from './pooled-connection.js';
import type { ConnectionOpener, ServerConnector } from './server-connector.js';
import { roleOf, type ServerRole, serves } from './server-role.js';

/** What the resolver needs from its pool. */
export interface PrimaryResolverOptions {
  readonly hosts: readonly HostAddress[];
  readonly targetSessionAttrs: TargetSessionAttrs;
  /** What error messages name besides the host (and the password they must not show). */
  readonly clientConfig: Pick<DriverConfig, 'database' | 'password'>;
  /** Opens a connection to one host (PgBouncer handling included). */
  readonly open: ConnectionOpener;
  readonly acquireTimeout: number;
  readonly connectTimeout: number;
  readonly failoverBackoff: FailoverBackoff;
  /** A server was chosen that differs from the last one: connections elsewhere must go. */
  onResolved(current: HostAddress, previous: HostAddress | undefined): void;
  /** The current server's role, read on one of the pool's own connections. */
  readRole(): Promise<ServerRole>;
}

/**
 * Finds, among several hosts, the one `target_session_attrs` asks for, and finds it again
 * when it is lost: a connection broke, a write was refused as read-only (25006, or 0A000
 * during recovery), or the periodic role check disagrees. Only one search runs at a time; it
 * probes every host (a connection each, its role read from what the server reports at
 * startup), takes the first match in list order, and otherwise waits a jittered, doubling
 * delay before the next round. Meanwhile the pool opens no connections: they wait for the
 * search, up to `acquireTimeout`, then fail with `NoMatchingServerError`.
 */
export class PrimaryResolver implements ServerConnector {
  readonly #options: PrimaryResolverOptions;
  #current: HostAddress | undefined;
  #chosen: HostAddress | undefined;
  #search: Promise<HostAddress> | undefined;
  #lastError: string | undefined;
  #closed = false;
  #wake: (() => void) | undefined;
  attempts = 0;

  constructor(options: PrimaryResolverOptions) {
    this.#options = options;
  }

  get current(): HostAddress | undefined {
    return this.#current;
  }

  get resolving(): boolean {
    return this.#search !== undefined;
  }

  async open(id: number, lifetime: number): Promise<PooledConnection> {
    for (let attempt = 0; ; attempt++) {
      const host = this.#current ?? (await this.#awaitSearch());
      let connection: PooledConnection;
      try {
        connection = await this.#connect(host, id, lifetime);
      } catch (error) {
        const mapped = connectFailure(error, this.#targetOf(host));
        if (!(mapped instanceof ConnectionError) || attempt > 0) throw mapped;
        this.#lose(host);
        continue;
      }
      const role = await roleOf(connection).catch(() => undefined);
      if (role !== undefined && serves(this.#options.targetSessionAttrs, role)) return connection;
      void connection.end(this.#options.connectTimeout);
      this.#lose(host);
      if (attempt > 0) throw this.#unavailableError(this.#options.acquireTimeout);
    }
  }

  observe(connection: PooledConnection, error?: unknown): void {
    if (this.#closed || !sameHost(connection.endpoint, this.#current)) return;
    if (error === undefined || error instanceof ConnectionError) {
      if (connection.lossReported) return;
      connection.lossReported = true;
      this.#lose(connection.endpoint);
      return;
    }
    // 25006 on a server that said at startup it is a writable primary comes from a READ ONLY
    // transaction, not from a failover; anything else means writes must go elsewhere now.
    const wantsWrites = ['read-write', 'primary'].includes(this.#options.targetSessionAttrs);
    const knownWritable = connection.inHotStandby === false && connection.defaultReadOnly === false;
    if (error instanceof ReadOnlyTransactionError && wantsWrites && !knownWritable) {
      this.#lose(connection.endpoint);
    }
  }

  unavailable(waitedMs: number): Error | undefined {
    return this.#search === undefined ? undefined : this.#unavailableError(waitedMs);
  }

  async recheck(): Promise<void> {
    const current = this.#current;
    if (this.#closed || current === undefined) return;
    // A failed read is reported by the pool itself (observe); only a definite answer counts here.
    const role = await this.#options.readRole().catch(() => undefined);
    if (role !== undefined && !serves(this.#options.targetSessionAttrs, role)) this.#lose(current);
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** The server `host` is no longer usable (if it is still the current one): search again. */
  #lose(host: HostAddress): void {
    if (this.#closed || !sameHost(host, this.#current)) return;
    this.#current = undefined;
    this.#startSearch();
  }

  #startSearch(): void {
    if (this.#search !== undefined || this.#closed) return;
    const search = this.#searchRounds();
    this.#search = search;
    const done = () => {
      this.#search = undefined;
    };
    search.then(done, done);
  }

  async #searchRounds(): Promise<HostAddress> {
    for (let round = 0; ; round++) {
      if (this.#closed) throw new PoolClosedError();
      const found = await this.#probeRound();
      if (this.#closed) throw new PoolClosedError();
      if (found !== undefined) {
        const previous = this.#chosen;
        this.#current = found;
        this.#chosen = found;
        if (!sameHost(found, previous)) this.#options.onResolved(found, previous);
        return found;
      }
      await this.#sleep(failoverDelay(round, this.#options.failoverBackoff));
    }
  }

  /** Probes every host at once; the first match in list order wins (`prefer-standby`: a standby, else any). */
  async #probeRound(): Promise<HostAddress | undefined> {
    const { hosts, targetSessionAttrs } = this.#options;
    const roles = await Promise.all(hosts.map((host) => this.#probe(host)));
    let index = roles.findIndex((role) => role !== undefined && serves(targetSessionAttrs, role));
    if (targetSessionAttrs === 'prefer-standby') {
      const standby = roles.findIndex((role) => role?.standby === true);
      if (standby !== -1) index = standby;
    }
    return index === -1 ? undefined : hosts[index];
  }

  async #probe(host: HostAddress): Promise<ServerRole | undefined> {
    let connection: PooledConnection | undefined;
    try {
      connection = await this.#connect(host, 0, 0);
      return await roleOf(connection);
    } catch (error) {
      this.#lastError = `${formatHost(host)}: ${(connectFailure(error, this.#targetOf(host)) as Error).message}`;
      return undefined;
    } finally {
      if (connection !== undefined) void connection.end(this.#options.connectTimeout);
    }
  }

  #connect(host: HostAddress, id: number, lifetime: number): Promise<PooledConnection> {
    this.attempts += 1;
    return this.#options.open(host, id, lifetime);
  }

  /** Waits for the search under way (starting one if needed), at most `acquireTimeout`. */
  #awaitSearch(): Promise<HostAddress> {
    this.#startSearch();
    const search = this.#search;
    if (search === undefined) return Promise.reject(new PoolClosedError());
    const { acquireTimeout } = this.#options;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.#unavailableError(acquireTimeout)), acquireTimeout);
      search.then(
        (host) => {
          clearTimeout(timer);
          resolve(host);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  #sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, delayMs);
      timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #unavailableError(waitedMs: number): NoMatchingServerError {
    return new NoMatchingServerError(
      this.#options.hosts.map(formatHost),
      this.#options.targetSessionAttrs,
      Math.round(waitedMs),
      this.#lastError,
    );
  }

  #targetOf(host: HostAddress) {
    const { clientConfig } = this.#options;
    return {
      host: host.host,
      port: host.port,
      database: clientConfig.database,
      password: clientConfig.password,
    };
  }
}
