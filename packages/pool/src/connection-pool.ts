import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, mapDatabaseError } from '@strata/errors';
import type { Knex } from 'knex';
import { AcquireLatency } from './acquire-latency.js';
import { ambientConnectionOf } from './ambient-connection.js';
import { type ConnectTarget, connectFailure, readyFailure } from './connect-failure.js';
import { DrainSignal } from './drain-signal.js';
import { IdleConnections } from './idle-connections.js';
import { InFlight } from './in-flight.js';
import { createPoolKnex } from './knex-client.js';
import { leakCheckPeriod, reportLeaks } from './leak-detection.js';
import { PgBouncerMode, type PgBouncerPoolMode } from './pgbouncer-mode.js';
import type { ConnectOptions, Pool, PoolEvents, PoolStats, QueryResult, RemovalReason } from './pool.js';
import { CheckedOutClient, type ClientOwner, type PoolClient } from './pool-client.js';
import type { DriverConfig, PoolSettings } from './pool-config.js';
import { PoolClosedError, type PoolCounts, PoolTimeoutError } from './pool-errors.js';
import type { KnexOptions } from './pool-knex.js';
import { PoolMetrics } from './pool-metrics.js';
import type { PooledConnection } from './pooled-connection.js';
import { type StatementFailures, StatementRunner } from './statement-runner.js';
import type { StatementTracing } from './statement-tracing.js';
import { WaitingCallers } from './waiting-callers.js';

const READY_BACKOFF_START_MS = 100;
const READY_BACKOFF_MAX_MS = 2_000;
// After the close timeout, cancelled statements get this long to unwind before sockets are cut.
const CANCEL_GRACE_MS = 1_000;

/**
 * The pool behind `createPool`: idle connections (most recently released first), callers
 * waiting in order, connections opened on demand up to `max`, and housekeeping (health checks,
 * leak reports, `min` kept warm). `query` is the hot path: no allocation beyond the driver's
 * own besides the query config.
 */
export class ConnectionPool extends EventEmitter<PoolEvents> implements Pool, ClientOwner, StatementFailures {
  readonly config: PoolSettings;
  readonly #pgbouncer: PgBouncerMode;
  readonly #target: ConnectTarget;
  readonly #knexOptions: KnexOptions | undefined;
  #knex: Knex | undefined;
  readonly #statements: StatementRunner;
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

  #created = 0;
  #destroyed = 0;
  #acquireCount = 0;
  #errors = 0;
  #acquireTimeouts = 0;

  /** Set once ready() succeeded: from then on the pool keeps `min` connections open. */
  #warm = false;
  #ready: Promise<void> | undefined;
  #closed = false;
  #close: Promise<void> | undefined;
  readonly #drained = new DrainSignal();
  #checkingHealth = false;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(settings: PoolSettings, clientConfig: DriverConfig, knexOptions: KnexOptions | undefined) {
    super();
    this.config = settings;
    const { host, port, database } = settings;
    this.#target = { host, port, database, password: clientConfig.password };
    this.#knexOptions = knexOptions;
    this.#statements = new StatementRunner(settings, this);
    this.#metrics = PoolMetrics.create(settings, () => this.stats());
    this.#pgbouncer = new PgBouncerMode(settings, clientConfig, this.#statements, this);
    const pool = this;
    this.#idle = new IdleConnections(settings, {
      get closed() {
        return pool.#closed;
      },
      remove: (connection, reason) => this.#destroy(connection, reason),
      handOver: (connection) => this.#handOver(connection),
      track: (promise) => this.#inFlight.track(promise),
    });
    this.#timers.push(setInterval(() => void this.#checkHealth(), settings.healthCheckPeriod).unref());
    const threshold = settings.leakDetectionThreshold;
    if (threshold > 0) {
      const report = () => reportLeaks(this.#connections, threshold, this);
      this.#timers.push(setInterval(report, leakCheckPeriod(threshold)).unref());
    }
  }

  get pool(): Pool {
    return this;
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

  // The hot path. The statement is sent by a non-async function and awaited here, so this is
  // its only promise layer; runOn has the same try block around its own finally.
  async query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    const ambient = ambientConnectionOf(this);
    if (ambient !== undefined) return this.runOn<Row>(ambient, text, values);
    const connection = this.#takeIdle(undefined) ?? (await this.acquire(undefined));
    try {
      return await this.#statements.send<Row>(connection, text, values);
    } catch (error) {
      return await this.#statements.recover<Row>(connection, error, text, values);
    } finally {
      this.release(connection, false);
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
  async runOn<Row>(
    connection: PooledConnection,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    if (connection.state === 'closed' && this.#closed) throw new PoolClosedError();
    // Statements issued concurrently on one held connection run one after another here,
    // rather than piling up in node-postgres' deprecated internal queue. The usual statement
    // finds the connection free and allocates nothing for the turn-taking.
    if (connection.busy) await connection.waitTurn();
    connection.busy = true;
    try {
      return await this.#statements.send<Row>(connection, text, values);
    } catch (error) {
      return await this.#statements.recover<Row>(connection, error, text, values);
    } finally {
      connection.passTurn();
    }
  }

  /** A statement failed (raw or Knex): maps the error to a typed one, marking the connection broken if it says so. */
  fail(connection: PooledConnection | undefined, error: unknown): unknown {
    const mapped = this.#counted(mapDatabaseError(connection?.failureCause(error) ?? error));
    if (mapped instanceof ConnectionError && connection !== undefined) connection.broken = true;
    return mapped;
  }

  /** Counts an error about to reach a caller (`stats().errors`); every such error passes here. */
  #counted<E>(error: E): E {
    this.#errors += 1;
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
    this.#acquireCount += 1;
    this.#latency.record(now - startedAt);
    this.#metrics?.waited(now - startedAt);
  }

  /** The error a caller gets when acquireTimeout passed; it still counts as waiting. */
  #timedOut(): PoolTimeoutError {
    const counts: PoolCounts = {
      total: this.#connections.size,
      idle: this.#idle.size,
      active: this.#active,
      waiting: this.#waiters.length,
      max: this.config.max,
    };
    this.#acquireTimeouts += 1;
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

  release(connection: PooledConnection, destroy: boolean): void {
    if (connection.state !== 'active') return; // already destroyed (e.g. by close) or released
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
    const { maxLifetime, maxLifetimeJitter } = this.config;
    const lifetime = maxLifetime > 0 ? maxLifetime * (1 - maxLifetimeJitter * Math.random()) : 0;
    return this.#inFlight.track(
      this.#pgbouncer.open(this.#nextId++, lifetime).then(
        (connection) => {
          this.#opening -= 1;
          this.#created += 1;
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
    this.#destroyed += 1;
    this.#closing += 1;
    this.emit('remove', { connectionId: connection.id, processId: connection.processId, reason });
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
    if (this.#closed || this.#checkingHealth) return;
    this.#checkingHealth = true;
    this.#metrics?.refresh();
    const outcome = await this.#idle.check(performance.now());
    this.#ensureMin();
    this.#checkingHealth = false;
    this.emit('health-check', outcome);
  }

  async #warmUp(): Promise<void> {
    if (this.#closed) throw new PoolClosedError();
    const { readyTimeout } = this.config;
    const target = Math.max(this.config.min, 1);
    const deadline = performance.now() + readyTimeout;
    let delay = READY_BACKOFF_START_MS;
    for (;;) {
      const missing = Math.min(target - this.#connections.size - this.#opening, this.#room());
      const attempts = Array.from({ length: Math.max(0, missing) }, () => this.#open());
      const failures = (await Promise.allSettled(attempts)).flatMap((result) =>
        result.status === 'rejected' ? [result.reason as unknown] : [],
      );
      if (failures.length === 0) {
        this.#warm = true;
        this.#ensureMin();
        return;
      }
      const fatal = failures.find((error) => !(error instanceof ConnectionError));
      if (fatal !== undefined) throw this.#counted(fatal); // e.g. a rejected login: retrying will not help
      if (this.#closed || performance.now() + delay > deadline) {
        throw this.#counted(readyFailure(failures[failures.length - 1], target, readyTimeout, this.#target));
      }
      await sleep(delay);
      delay = Math.min(delay * 2, READY_BACKOFF_MAX_MS);
    }
  }

  stats(): PoolStats {
    return {
      total: this.#connections.size,
      idle: this.#idle.size,
      active: this.#active,
      waiting: this.#waiters.length,
      opening: this.#opening,
      created: this.#created,
      destroyed: this.#destroyed,
      acquireCount: this.#acquireCount,
      acquireLatencyMs: this.#latency.percentiles(),
      errors: this.#errors,
      acquireTimeouts: this.#acquireTimeouts,
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
    for (const timer of this.#timers) clearInterval(timer);
    for (const waiter of this.#waiters.takeAll()) waiter.reject(new PoolClosedError());
    for (const connection of this.#idle.snapshot()) this.#destroy(connection, 'pool-closed');

    if (this.#active > 0 && !(await this.#drained.wait(timeoutMs, this.#active === 0))) {
      // In-flight work ran past the timeout: cancel its statements, give them a moment to
      // unwind, then cut whatever is still held.
      const active = [...this.#connections].filter((connection) => connection.state === 'active');
      await Promise.all(
        active.map((connection) => connection.cancel(this.config, this.config.connectTimeout)),
      );
      await this.#drained.wait(CANCEL_GRACE_MS, this.#active === 0);
      for (const connection of [...this.#connections]) this.#destroy(connection, 'pool-closed');
    }
    await this.#inFlight.settled();
    for (const connection of [...this.#connections]) this.#destroy(connection, 'pool-closed');
    await this.#inFlight.settled();
  }
}
