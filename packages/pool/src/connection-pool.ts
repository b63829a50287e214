import { ConnectionError, mapDatabaseError } from '@strata/errors';
import type { Knex } from 'knex';
import { AcquireLatency } from './acquire-latency.js';
import { ambientConnectionOf } from './ambient-connection.js';
import { type ConnectTarget, connectFailure, connectTarget } from './connect-failure.js';
import { drainConnections } from './drain-connections.js';
import { DrainSignal } from './drain-signal.js';
import { IdleConnections } from './idle-connections.js';
import { InFlight } from './in-flight.js';
import { createPoolKnex } from './knex-client.js';
import { type HostAddress, sameHost } from './multi-host-url.js';
import { PgBouncerMode, type PgBouncerPoolMode } from './pgbouncer-mode.js';
import type { ConnectOptions, Pool, PoolStats, QueryResult, RemovalReason } from './pool.js';
import { CheckedOutClient, type ClientOwner, type PoolClient } from './pool-client.js';
import type { DriverConfig, PoolSettings } from './pool-config.js';
import { PoolCounters } from './pool-counters.js';
import { PoolClosedError, type PoolCounts, PoolTimeoutError } from './pool-errors.js';
import { PoolHousekeeping } from './pool-housekeeping.js';
import type { KnexOptions } from './pool-knex.js';
import { PoolMetrics } from './pool-metrics.js';
import { PoolTopology, type ReplicaTarget } from './pool-topology.js';
import { drawLifetime, type PooledConnection } from './pooled-connection.js';
import { ReadRoutingPool } from './read-routing-pool.js';
import { type StatementFailures, StatementRunner } from './statement-runner.js';
import type { StatementTracing } from './statement-tracing.js';
import { WaitingCallers } from './waiting-callers.js';
import { warmUp } from './warm-up.js';

/**
 * The pool behind `createPool`: idle connections (most recently released first), callers
 * waiting in order, connections opened on demand up to `max`, and housekeeping (health checks,
 * leak reports, `min` kept warm). `query` is the hot path: no allocation beyond the driver's
 * own besides the query config.
 */
export class ConnectionPool extends ReadRoutingPool implements Pool, ClientOwner, StatementFailures {
  readonly config: PoolSettings;
  readonly #pgbouncer: PgBouncerMode;
  readonly #target: ConnectTarget;
  readonly #knexOptions: KnexOptions | undefined;
  #knex: Knex | undefined;
  readonly #statements: StatementRunner;
  /** @internal The statement policy, shared with the routed Knex of its readers. */
  get statements(): StatementRunner {
    return this.#statements;
  }
  /** Statement spans; only the TracedConnectionPool has them. */
  readonly tracing: StatementTracing | undefined = undefined;
  readonly #latency = new AcquireLatency();
  readonly #metrics: PoolMetrics | undefined;

  /** Open connections, whatever their state. */
  readonly #connections = new Set<PooledConnection>();
  readonly #idle: IdleConnections;
  readonly #waiters = new WaitingCallers();
  #active = 0;
  #opening = 0;
  #closing = 0;
  #nextId = 1;
  readonly #inFlight = new InFlight();

  readonly #counts = new PoolCounters();

  /** Set once ready() succeeded: from then on the pool keeps `min` connections open. */
  #warm = false;
  #ready: Promise<void> | undefined;
  #closed = false;
  #close: Promise<void> | undefined;
  readonly #drained = new DrainSignal();
  readonly #housekeeping: PoolHousekeeping;

  constructor(
    settings: PoolSettings,
    clientConfig: DriverConfig,
    knexOptions: KnexOptions | undefined,
    topology: { replicas?: readonly ReplicaTarget[]; parent?: Pool } = {},
  ) {
    super(topology.parent);
    this.config = settings;
    this.#target = connectTarget(settings, clientConfig.password);
    this.#knexOptions = knexOptions;
    this.#statements = new StatementRunner(settings, this);
    this.#metrics = PoolMetrics.create(settings, () => this.stats());
    this.#pgbouncer = new PgBouncerMode(settings, clientConfig, this.#statements, this);
    // A replica's pool is of this pool's class: traced when this one is.
    const PoolClass = this.constructor as typeof ConnectionPool;
    this.routing = new PoolTopology(this, {
      clientConfig,
      // The one path connections open by: the connector picks the host, PgBouncerMode opens there.
      open: (host, id, lifetime) => this.#pgbouncer.open(id, lifetime, host),
      replicas: topology.replicas ?? [],
      createReplicaPool: (replicaSettings, config) =>
        new PoolClass(replicaSettings, config, undefined, { parent: this }),
      knexOptions,
    });
    const pool = this;
    this.#idle = new IdleConnections(settings, {
      get closed() {
        return pool.#closed;
      },
      remove: (connection, reason) => this.#destroy(connection, reason),
      handOver: (connection) => this.#handOver(connection),
      track: (promise) => this.#inFlight.track(promise),
    });
    this.#housekeeping = new PoolHousekeeping(settings, {
      connections: this.#connections,
      listeners: this,
      checkHealth: () => this.#checkHealth(),
    });
  }

  get settings(): PoolSettings {
    return this.config;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get pgbouncer(): PgBouncerPoolMode | false | undefined {
    return this.#pgbouncer.mode;
  }

  get knex(): Knex {
    this.#knex ??= createPoolKnex(this, this.#statements, this.#knexOptions);
    return this.#knex;
  }

  bindModel<M extends { bindKnex(knex: Knex): M }>(model: M): M {
    return model.bindKnex(this.knex);
  }

  ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new PoolClosedError());
    this.#ready ??= this.#warmUp().catch((error: unknown) => {
      this.#ready = undefined; // a later ready() tries again
      throw error;
    });
    return this.#ready;
  }

  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>> {
    return this.#query<Row>(text, values, true);
  }

  /** A statement of the pool's own or a routed read: not a possible write of the current session. */
  internalQuery<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    return this.#query<Row>(text, values, false);
  }

  // The hot path. The statement is sent by a non-async function and awaited here, so this is
  // its only promise layer; StatementRunner.sendHeld has the same try block for held connections.
  async #query<Row>(
    text: string,
    values: readonly unknown[] | undefined,
    write: boolean,
  ): Promise<QueryResult<Row>> {
    const ambient = ambientConnectionOf(this);
    if (ambient !== undefined) return this.runOn<Row>(ambient, text, values);
    const connection = this.#takeIdle(undefined) ?? (await this.acquire(undefined));
    try {
      return await this.#statements.send<Row>(connection, text, values);
    } catch (error) {
      return await this.#statements.recover<Row>(connection, error, text, values);
    } finally {
      this.release(connection, false, write);
    }
  }

  async connect(options?: ConnectOptions): Promise<PoolClient> {
    const stack =
      this.config.leakDetectionThreshold > 0 && options?.leakDetection !== false
        ? new Error('Connection acquired by pool.connect()')
        : undefined;
    const connection = this.#takeIdle(stack) ?? (await this.acquire(stack));
    return new CheckedOutClient(this, connection);
  }

  /** Runs a statement on a connection someone holds (a checked-out or ambient client). */
  runOn<Row>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    if (connection.state === 'closed' && this.#closed) return Promise.reject(new PoolClosedError());
    return this.#statements.sendHeld<Row>(connection, text, values);
  }

  /** A statement failed (raw or Knex): maps the error to a typed one, marking the connection broken if it says so. */
  fail(connection: PooledConnection | undefined, error: unknown): unknown {
    const mapped = this.#counted(mapDatabaseError(connection?.failureCause(error) ?? error));
    if (mapped instanceof ConnectionError && connection !== undefined) connection.broken = true;
    if (connection !== undefined && this.#connections.has(connection)) {
      this.routing.connector.observe(connection, mapped);
    }
    return mapped;
  }

  /** Counts an error about to reach a caller (`stats().errors`); every such error passes here. */
  #counted<E>(error: E): E {
    this.#counts.errors += 1;
    return error;
  }

  /**
   * Takes an idle connection that can be used without a round trip, or undefined (the slow
   * path, `acquire`, must run). `startedAt` is when a caller began waiting; undefined: it did not.
   */
  #takeIdle(stack: Error | undefined, startedAt?: number): PooledConnection | undefined {
    if (this.#closed) return undefined;
    const now = performance.now();
    const connection = this.#idle.take(now);
    if (connection !== undefined) this.#lease(connection, now, stack, startedAt ?? now);
    return connection;
  }

  /** Checks out a connection: an idle one (pinged if it idled long), a new one, or the next released. */
  async acquire(stack: Error | undefined): Promise<PooledConnection> {
    const startedAt = performance.now();
    for (let probed = false; ; probed = true) {
      if (this.#closed) throw this.#counted(new PoolClosedError());
      // Only after a probe did the caller wait; taken at once, it waited 0 ms (as on the hot path).
      const idle = this.#takeIdle(stack, probed ? startedAt : undefined);
      if (idle !== undefined) return idle;
      const connection = this.#idle.takeToProbe();
      if (connection === undefined) break;
      const alive = await this.#inFlight.track(connection.ping(this.config.connectTimeout));
      if (alive && !this.#closed) {
        this.#lease(connection, performance.now(), stack, startedAt);
        return connection;
      }
      this.#destroy(connection, alive ? 'pool-closed' : 'ping-failed');
    }
    const remaining = Math.max(0, this.config.acquireTimeout - (performance.now() - startedAt));
    const waiting = this.#waiters.wait(startedAt, stack, remaining, () => this.#timedOut());
    this.#grow();
    return waiting;
  }

  #lease(connection: PooledConnection, now: number, stack: Error | undefined, startedAt: number): void {
    connection.state = 'active';
    connection.leasedAt = now;
    connection.leaseStack = stack;
    connection.leakReported = false;
    this.#active += 1;
    this.#counts.acquireCount += 1;
    this.#latency.record(now - startedAt);
    this.#metrics?.waited(now - startedAt);
  }

  /** The error a caller gets when acquireTimeout passed; it still counts as waiting. */
  #timedOut(): Error {
    // No server to connect to (a failover under way) rather than a pool too small.
    const unavailable = this.routing.connector.unavailable(this.config.acquireTimeout);
    if (unavailable !== undefined) return this.#counted(unavailable);
    const { total, idle, active, waiting } = this.stats();
    const counts: PoolCounts = { total, idle, active, waiting, max: this.config.max };
    this.#counts.acquireTimeouts += 1;
    this.#metrics?.timedOut();
    return this.#counted(new PoolTimeoutError(this.config.acquireTimeout, counts));
  }

  /** Gives a free connection to the longest-waiting caller, or puts it back as idle. */
  #handOver(connection: PooledConnection): void {
    const waiter = this.#waiters.next();
    if (waiter === undefined) {
      this.#idle.put(connection);
      return;
    }
    this.#lease(connection, performance.now(), waiter.stack, waiter.startedAt);
    waiter.resolve(connection);
  }

  /** Takes a connection back; `write` false: it only read (a routed read, a check of the pool's own). */
  release(connection: PooledConnection, destroy: boolean, write = true): void {
    if (connection.state !== 'active') return; // already destroyed (e.g. by close) or released
    if (write && this.routing.router.routes) this.routing.router.markWrite();
    connection.leaseStack = undefined;
    const now = performance.now();
    connection.lastReleasedAt = now;
    this.#metrics?.used(now - connection.leasedAt);
    const reason = destroy ? 'destroyed-by-caller' : connection.removalReason(now, this.#closed);
    if (reason !== undefined) {
      this.#destroy(connection, reason);
    } else {
      this.#active -= 1;
      this.#handOver(connection);
    }
    if (this.#closed && this.#active === 0) this.#drained.notify();
  }

  /** The primary moved to `current`: idle connections elsewhere close now, held ones at release. */
  retireOthers(current: HostAddress): void {
    for (const connection of [...this.#connections]) {
      if (sameHost(connection.endpoint, current)) continue;
      if (connection.state === 'idle') this.#destroy(connection, 'failover');
      else connection.broken = true;
    }
  }

  /** Opens connections for waiting callers while there is room under `max`. */
  #grow(): void {
    while (!this.#closed && this.#waiters.length > this.#opening && this.#room() > 0) {
      this.#open().catch(() => {}); // the error went to a waiter and the connection-error event
    }
  }

  /** Once warm, tops the pool up to `min`. */
  #ensureMin(): void {
    while (
      this.#warm &&
      !this.#closed &&
      this.#connections.size + this.#opening < this.config.min &&
      this.#room() > 0
    ) {
      this.#open().catch(() => {});
    }
  }

  // Connections being closed still count: their backends exist until the close completes.
  #room(): number {
    return this.config.max - this.#connections.size - this.#opening - this.#closing;
  }

  #open(): Promise<PooledConnection> {
    this.#opening += 1;
    const startedAt = performance.now();
    const lifetime = drawLifetime(this.config);
    return this.#inFlight.track(
      this.routing.connector.open(this.#nextId++, lifetime).then(
        (connection) => {
          this.#opening -= 1;
          this.#counts.created += 1;
          this.#metrics?.created(performance.now() - startedAt);
          this.#connections.add(connection);
          if (this.#closed) {
            this.#destroy(connection, 'pool-closed');
            throw new PoolClosedError();
          }
          // An idle connection the server ends (pg_terminate_backend, restart) leaves at once.
          connection.onBroken = () => {
            if (connection.state === 'idle') this.#destroy(connection, 'broken');
          };
          this.emit('connect', { connectionId: connection.id, processId: connection.processId });
          this.#handOver(connection);
          return connection;
        },
        (error: unknown) => {
          this.#opening -= 1;
          const mapped = connectFailure(error, this.#target);
          this.emit('connection-error', { error: mapped });
          // A caller waiting for this connection gets the reason instead of a timeout later.
          if (this.#waiters.length > this.#opening) {
            this.#waiters.next()?.reject(this.#counted(mapped));
            this.#grow();
          }
          throw mapped;
        },
      ),
    );
  }

  #destroy(connection: PooledConnection, reason: RemovalReason): void {
    if (connection.state === 'closed') return;
    if (connection.state === 'idle') {
      this.#idle.remove(connection);
    } else if (connection.state === 'active') {
      this.#active -= 1;
    }
    connection.state = 'closed';
    this.#connections.delete(connection);
    this.#counts.destroyed += 1;
    this.#closing += 1;
    this.emit('remove', { connectionId: connection.id, processId: connection.processId, reason });
    if (reason === 'broken' || reason === 'ping-failed') this.routing.connector.observe(connection);
    void this.#inFlight.track(
      connection.end(this.config.connectTimeout).finally(() => {
        this.#closing -= 1;
        this.#grow();
        this.#ensureMin();
      }),
    );
    if (this.#closed && this.#active === 0) this.#drained.notify();
  }

  /** Every period: retire expired idle connections, probe the rest, restore `min`. */
  async #checkHealth(): Promise<void> {
    if (this.#closed) return;
    this.#metrics?.refresh();
    const outcome = await this.#idle.check(performance.now());
    this.#ensureMin();
    this.emit('health-check', outcome);
  }

  async #warmUp(): Promise<void> {
    if (this.#closed) throw new PoolClosedError();
    const subject = {
      closed: () => this.#closed,
      missing: (wanted: number) => Math.min(wanted - this.#connections.size - this.#opening, this.#room()),
      open: () => this.#open(),
    };
    const wanted = Math.max(this.config.min, 1);
    await warmUp(subject, wanted, this.config.readyTimeout, this.#target).catch((error: unknown) => {
      throw this.#counted(error);
    });
    this.#warm = true;
    this.#ensureMin();
    await this.routing.ready();
  }

  stats(): PoolStats {
    return {
      total: this.#connections.size,
      idle: this.#idle.size,
      active: this.#active,
      waiting: this.#waiters.length,
      opening: this.#opening,
      ...this.#counts,
      acquireLatencyMs: this.#latency.percentiles(),
      connectAttempts: this.routing.connector.attempts,
      preparedStatementConflicts: this.#statements.conflicts,
    };
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#close ??= this.#shutDown(options.timeoutMs ?? 10_000);
    return this.#close;
  }

  async #shutDown(timeoutMs: number): Promise<void> {
    this.#closed = true;
    this.#metrics?.close();
    this.#housekeeping.stop();
    const topology = this.routing.close(timeoutMs);
    for (const waiter of this.#waiters.takeAll()) waiter.reject(new PoolClosedError());
    for (const connection of this.#idle.snapshot()) this.#destroy(connection, 'pool-closed');
    const subject = {
      drained: this.#drained,
      isDrained: () => this.#active === 0,
      active: () => [...this.#connections].filter((connection) => connection.state === 'active'),
      destroyAll: () => {
        for (const connection of [...this.#connections]) this.#destroy(connection, 'pool-closed');
      },
      settled: () => this.#inFlight.settled(),
    };
    await Promise.all([drainConnections(subject, timeoutMs, this.config.connectTimeout), topology]);
  }
}
