import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectionError, mapDatabaseError, redactSecret, StrataError } from '@strata/errors';
import type { Knex } from 'knex';
import type pg from 'pg';
import { AcquireLatency } from './acquire-latency.js';
import { ambientConnectionOf } from './ambient-connection.js';
import { sendCancelRequest } from './cancel-request.js';
import { createPoolKnex } from './knex-client.js';
import type { Pool, PoolEvents, PoolStats, QueryResult } from './pool.js';
import { CheckedOutClient, type ClientOwner, type PoolClient } from './pool-client.js';
import type { KnexOptions, PoolSettings } from './pool-config.js';
import { PoolClosedError, type PoolCounts, PoolTimeoutError } from './pool-errors.js';
import { openConnection, type PooledConnection, type RemovalReason } from './pooled-connection.js';
import { StatementNames } from './statement-names.js';

interface Waiter {
  resolve(connection: PooledConnection): void;
  reject(error: unknown): void;
  startedAt: number;
  stack: Error | undefined;
  timer: NodeJS.Timeout | undefined;
}

const READY_BACKOFF_START_MS = 100;
const READY_BACKOFF_MAX_MS = 2_000;
// After the close timeout, cancelled statements get this long to unwind before sockets are cut.
const CANCEL_GRACE_MS = 1_000;

/** The pool behind `createPool`. */
export class ConnectionPool extends EventEmitter<PoolEvents> implements Pool, ClientOwner {
  readonly config: PoolSettings;
  readonly #clientConfig: pg.ClientConfig;
  readonly #knexOptions: KnexOptions | undefined;
  #knex: Knex | undefined;
  readonly #names = new StatementNames();
  readonly #latency = new AcquireLatency();

  /** Open connections, whatever their state. */
  readonly #connections = new Set<PooledConnection>();
  /** Idle connections; the most recently released is taken first. */
  #idle: PooledConnection[] = [];
  readonly #waiters: Waiter[] = [];
  #active = 0;
  #opening = 0;
  #closing = 0;
  #nextId = 1;
  /** Opens, closes and probes under way; close() waits for all of them. */
  readonly #inFlight = new Set<Promise<unknown>>();

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
  #drained: Array<() => void> = [];
  #checkingHealth = false;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(settings: PoolSettings, clientConfig: pg.ClientConfig, knexOptions: KnexOptions | undefined) {
    super();
    this.config = settings;
    this.#clientConfig = clientConfig;
    this.#knexOptions = knexOptions;
    this.#timers.push(setInterval(() => void this.#checkHealth(), settings.healthCheckPeriod).unref());
    if (settings.leakDetectionThreshold > 0) {
      const every = Math.max(10, Math.min(1_000, Math.floor(settings.leakDetectionThreshold / 2)));
      this.#timers.push(setInterval(() => this.#reportLeaks(), every).unref());
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

  get knex(): Knex {
    this.#knex ??= createPoolKnex(this, this.#knexOptions);
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

  // The hot path: no allocation beyond the driver's own besides the query config.
  async query<Row = Record<string, unknown>>(
    text: string,
    values?: readonly unknown[],
  ): Promise<QueryResult<Row>> {
    const ambient = ambientConnectionOf(this);
    if (ambient !== undefined) return this.runOn<Row>(ambient, text, values);
    const connection = this.#takeIdle(undefined) ?? (await this.acquire(undefined));
    const name =
      values !== undefined && this.config.preparedStatements ? this.#names.nameFor(text) : undefined;
    try {
      return (await connection.client.query(
        values === undefined ? text : { name, text, values: values as unknown[] },
      )) as unknown as QueryResult<Row>;
    } catch (error) {
      return await this.#recover<Row>(connection, error, name, text, values);
    } finally {
      this.release(connection, false);
    }
  }

  async connect(): Promise<PoolClient> {
    const stack =
      this.config.leakDetectionThreshold > 0 ? new Error('Connection acquired by pool.connect()') : undefined;
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
    // rather than piling up in node-postgres' deprecated internal queue.
    const previous = connection.queue;
    let done = () => {};
    const mine = new Promise<void>((resolve) => {
      done = resolve;
    });
    connection.queue = mine;
    if (previous !== undefined) await previous;
    const name =
      values !== undefined && this.config.preparedStatements ? this.#names.nameFor(text) : undefined;
    try {
      return (await connection.client.query(
        values === undefined ? text : { name, text, values: values as unknown[] },
      )) as unknown as QueryResult<Row>;
    } catch (error) {
      return await this.#recover<Row>(connection, error, name, text, values);
    } finally {
      if (connection.queue === mine) connection.queue = undefined;
      done();
    }
  }

  /**
   * A named statement can go stale: DDL changed its result type (0A000) or something
   * deallocated it (26000). Outside a transaction it never ran, so it is re-prepared and run
   * once more; inside one, the transaction is lost anyway and the connection is retired.
   */
  async #recover<Row>(
    connection: PooledConnection,
    error: unknown,
    name: string | undefined,
    text: string,
    values: readonly unknown[] | undefined,
  ): Promise<QueryResult<Row>> {
    const code = (error as { code?: unknown } | null)?.code;
    const stale =
      name !== undefined &&
      (code === '26000' ||
        (code === '0A000' &&
          /cached plan must not change result type/.test(String((error as Error).message))));
    if (!stale) throw this.#fail(connection, error);
    if (connection.client.getTransactionStatus() !== 'I') {
      connection.discard = true;
      throw this.#fail(connection, error);
    }
    try {
      if (code === '0A000') await connection.client.query(`DEALLOCATE "${name}"`);
      connection.forgetStatement(name);
      return (await connection.client.query({
        name,
        text,
        values: values as unknown[],
      })) as unknown as QueryResult<Row>;
    } catch (retryError) {
      throw this.#fail(connection, retryError);
    }
  }

  #fail(connection: PooledConnection, error: unknown): unknown {
    this.#errors += 1;
    const mapped = mapDatabaseError(error);
    if (mapped instanceof ConnectionError) connection.broken = true;
    return mapped;
  }

  countError(): void {
    this.#errors += 1;
  }

  /** Takes an idle connection synchronously, or returns undefined when the slow path must run. */
  #takeIdle(stack: Error | undefined): PooledConnection | undefined {
    if (this.#closed) return undefined;
    const now = performance.now();
    for (;;) {
      const connection = this.#idle.pop();
      if (connection === undefined) return undefined;
      if (connection.broken || now >= connection.retireAt) {
        this.#destroy(connection, connection.broken ? 'broken' : 'max-lifetime');
        continue;
      }
      if (this.config.pingAfterIdle > 0 && now - connection.lastReleasedAt > this.config.pingAfterIdle) {
        this.#idle.push(connection);
        return undefined;
      }
      this.#lease(connection, now, stack);
      this.#latency.record(0);
      return connection;
    }
  }

  /** Checks out a connection: an idle one (pinged if it idled long), a new one, or the next released. */
  acquire(stack: Error | undefined): Promise<PooledConnection> {
    if (this.#closed) {
      this.#errors += 1;
      return Promise.reject(new PoolClosedError());
    }
    const idle = this.#takeIdle(stack);
    return idle === undefined ? this.#acquireFrom(performance.now(), stack) : Promise.resolve(idle);
  }

  async #acquireFrom(startedAt: number, stack: Error | undefined): Promise<PooledConnection> {
    for (;;) {
      const connection = this.#idle.pop();
      if (connection === undefined) break;
      const now = performance.now();
      if (connection.broken || now >= connection.retireAt) {
        this.#destroy(connection, connection.broken ? 'broken' : 'max-lifetime');
        continue;
      }
      if (this.config.pingAfterIdle > 0 && now - connection.lastReleasedAt > this.config.pingAfterIdle) {
        connection.state = 'probing';
        const alive = await this.#track(this.#ping(connection));
        if (!alive || this.#closed) {
          this.#destroy(connection, alive ? 'pool-closed' : 'ping-failed');
          if (this.#closed) {
            this.#errors += 1;
            throw new PoolClosedError();
          }
          continue;
        }
      }
      const leasedAt = performance.now();
      this.#lease(connection, leasedAt, stack);
      this.#latency.record(leasedAt - startedAt);
      return connection;
    }
    return new Promise<PooledConnection>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, startedAt, stack, timer: undefined };
      const remaining = Math.max(0, this.config.acquireTimeout - (performance.now() - startedAt));
      waiter.timer = setTimeout(() => this.#timeOut(waiter), remaining);
      this.#waiters.push(waiter);
      this.#grow();
    });
  }

  #lease(connection: PooledConnection, now: number, stack: Error | undefined): void {
    connection.state = 'active';
    connection.leasedAt = now;
    connection.leaseStack = stack;
    connection.leakReported = false;
    this.#active += 1;
    this.#acquireCount += 1;
  }

  #timeOut(waiter: Waiter): void {
    const index = this.#waiters.indexOf(waiter);
    if (index === -1) return;
    const counts = this.#counts(); // the caller that timed out still counts as waiting
    this.#waiters.splice(index, 1);
    this.#acquireTimeouts += 1;
    this.#errors += 1;
    waiter.reject(new PoolTimeoutError(this.config.acquireTimeout, counts));
  }

  #counts(): PoolCounts {
    return {
      total: this.#connections.size,
      idle: this.#idle.length,
      active: this.#active,
      waiting: this.#waiters.length,
      max: this.config.max,
    };
  }

  /** Gives a free connection to the longest-waiting caller, or puts it back as idle. */
  #handOver(connection: PooledConnection): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) {
      connection.state = 'idle';
      this.#idle.push(connection);
      return;
    }
    clearTimeout(waiter.timer);
    const now = performance.now();
    this.#lease(connection, now, waiter.stack);
    this.#latency.record(now - waiter.startedAt);
    waiter.resolve(connection);
  }

  release(connection: PooledConnection, destroy: boolean): void {
    if (connection.state !== 'active') return; // already destroyed (e.g. by close) or released
    connection.leaseStack = undefined;
    const now = performance.now();
    connection.lastReleasedAt = now;
    const reason: RemovalReason | undefined = destroy
      ? 'destroyed-by-caller'
      : connection.broken
        ? 'broken'
        : this.#closed
          ? 'pool-closed'
          : now >= connection.retireAt
            ? 'max-lifetime'
            : connection.discard
              ? 'stale-statement'
              : connection.client.getTransactionStatus() !== 'I'
                ? 'in-transaction'
                : undefined;
    if (reason !== undefined) {
      this.#destroy(connection, reason);
    } else {
      this.#active -= 1;
      this.#handOver(connection);
    }
    if (this.#closed && this.#active === 0) this.#notifyDrained();
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
    const { maxLifetime, maxLifetimeJitter } = this.config;
    const lifetime = maxLifetime > 0 ? maxLifetime * (1 - maxLifetimeJitter * Math.random()) : 0;
    return this.#track(
      openConnection(this.#clientConfig, this.#nextId++, lifetime).then(
        (connection) => {
          this.#opening -= 1;
          this.#created += 1;
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
          const mapped = this.#connectError(error);
          this.emit('connection-error', { error: mapped });
          // A caller waiting for this connection gets the reason instead of a timeout later.
          if (this.#waiters.length > this.#opening) {
            const waiter = this.#waiters.shift() as Waiter;
            clearTimeout(waiter.timer);
            this.#errors += 1;
            waiter.reject(mapped);
            this.#grow();
          }
          throw mapped;
        },
      ),
    );
  }

  #connectError(error: unknown): unknown {
    const mapped = mapDatabaseError(error);
    if (mapped instanceof StrataError) return mapped;
    const message = redactSecret(
      error instanceof Error ? error.message : String(error),
      this.#clientConfig.password as string | undefined,
    );
    return new ConnectionError(
      `Could not connect to PostgreSQL at ${this.config.host}:${this.config.port}: ${message}`,
      { cause: error },
    );
  }

  #destroy(connection: PooledConnection, reason: RemovalReason): void {
    if (connection.state === 'closed') return;
    if (connection.state === 'idle') {
      const index = this.#idle.indexOf(connection);
      if (index !== -1) this.#idle.splice(index, 1);
    } else if (connection.state === 'active') {
      this.#active -= 1;
    }
    connection.state = 'closed';
    this.#connections.delete(connection);
    this.#destroyed += 1;
    this.#closing += 1;
    this.emit('remove', { connectionId: connection.id, processId: connection.processId, reason });
    void this.#track(
      this.#end(connection).finally(() => {
        this.#closing -= 1;
        this.#grow();
        this.#ensureMin();
      }),
    );
    if (this.#closed && this.#active === 0) this.#notifyDrained();
  }

  /** Ends a session politely, cutting the socket if the server does not answer in time. */
  #end(connection: PooledConnection): Promise<void> {
    const socket = (connection.client as unknown as { connection: { stream: { destroy(): void } } })
      .connection;
    const timer = setTimeout(() => socket.stream.destroy(), this.config.connectTimeout).unref();
    return connection.client
      .end()
      .catch(() => {})
      .finally(() => clearTimeout(timer));
  }

  /** A round trip within connectTimeout; false when the connection is dead or hung. */
  #ping(connection: PooledConnection): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        connection.broken = true;
        resolve(false);
      }, this.config.connectTimeout);
      connection.client.query('SELECT 1').then(
        () => {
          clearTimeout(timer);
          resolve(!connection.broken);
        },
        () => {
          clearTimeout(timer);
          connection.broken = true;
          resolve(false);
        },
      );
    });
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    const settled: Promise<unknown> = promise.then(
      () => this.#inFlight.delete(settled),
      () => this.#inFlight.delete(settled),
    );
    this.#inFlight.add(settled);
    return promise;
  }

  /** Every period: retire expired idle connections, probe the rest, restore `min`. */
  async #checkHealth(): Promise<void> {
    if (this.#closed || this.#checkingHealth) return;
    this.#checkingHealth = true;
    const now = performance.now();
    const idle = this.#idle;
    this.#idle = [];
    let removed = 0;
    const probes: Promise<void>[] = [];
    for (const connection of idle) {
      connection.state = 'probing';
      const reason: RemovalReason | undefined = connection.broken
        ? 'broken'
        : now >= connection.retireAt
          ? 'max-lifetime'
          : this.config.idleTimeout > 0 && now - connection.lastReleasedAt >= this.config.idleTimeout
            ? 'idle-timeout'
            : undefined;
      if (reason !== undefined) {
        this.#destroy(connection, reason);
        removed += 1;
        continue;
      }
      probes.push(
        this.#track(this.#ping(connection)).then((alive) => {
          if (!alive || this.#closed) {
            this.#destroy(connection, alive ? 'pool-closed' : 'health-check');
            if (!alive) removed += 1;
          } else {
            this.#handOver(connection);
          }
        }),
      );
    }
    await Promise.all(probes);
    this.#ensureMin();
    this.#checkingHealth = false;
    this.emit('health-check', { probed: probes.length, removed });
  }

  #reportLeaks(): void {
    const threshold = this.config.leakDetectionThreshold;
    const now = performance.now();
    for (const connection of this.#connections) {
      if (connection.state !== 'active' || !connection.leaseStack || connection.leakReported) continue;
      const heldMs = now - connection.leasedAt;
      if (heldMs < threshold) continue;
      connection.leakReported = true;
      const leak = {
        connectionId: connection.id,
        processId: connection.processId,
        heldMs: Math.round(heldMs),
        stack: (connection.leaseStack.stack ?? '').split('\n').slice(1).join('\n'),
      };
      if (this.listenerCount('leak') > 0) {
        this.emit('leak', leak);
      } else {
        console.warn(
          `[@strata/pool] A connection has been checked out for ${leak.heldMs} ms ` +
            `(leakDetectionThreshold ${threshold} ms) and not released. It was acquired at:\n${leak.stack}`,
        );
      }
    }
  }

  async #warmUp(): Promise<void> {
    if (this.#closed) throw new PoolClosedError();
    const { readyTimeout, host, port, database } = this.config;
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
      const last = fatal ?? failures[failures.length - 1];
      if (fatal !== undefined || this.#closed || performance.now() + delay > deadline) {
        this.#errors += 1;
        const reason = last instanceof Error ? last.message : String(last);
        const where = `${host}:${port}${database ? `/${database}` : ''}`;
        if (fatal !== undefined && !(fatal instanceof ConnectionError)) throw fatal;
        throw new ConnectionError(
          `The pool could not open ${target} connection(s) to PostgreSQL at ${where} within ${readyTimeout} ms. ` +
            `Last error: ${redactSecret(reason, this.#clientConfig.password as string | undefined)}`,
          { cause: last, reason: last instanceof ConnectionError ? last.reason : undefined },
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, READY_BACKOFF_MAX_MS);
    }
  }

  stats(): PoolStats {
    return {
      total: this.#connections.size,
      idle: this.#idle.length,
      active: this.#active,
      waiting: this.#waiters.length,
      opening: this.#opening,
      created: this.#created,
      destroyed: this.#destroyed,
      acquireCount: this.#acquireCount,
      acquireLatencyMs: this.#latency.percentiles(),
      errors: this.#errors,
      acquireTimeouts: this.#acquireTimeouts,
    };
  }

  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#close ??= this.#shutDown(options.timeoutMs ?? 10_000);
    return this.#close;
  }

  async #shutDown(timeoutMs: number): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new PoolClosedError());
    }
    for (const connection of [...this.#idle]) this.#destroy(connection, 'pool-closed');

    if (this.#active > 0 && !(await this.#waitForDrain(timeoutMs))) {
      // In-flight work ran past the timeout: cancel its statements, give them a moment to
      // unwind, then cut whatever is still held.
      const active = [...this.#connections].filter((connection) => connection.state === 'active');
      await Promise.all(
        active.map((connection) =>
          sendCancelRequest(
            this.config,
            connection.processId,
            connection.secretKey,
            this.config.connectTimeout,
          ),
        ),
      );
      await this.#waitForDrain(CANCEL_GRACE_MS);
      for (const connection of [...this.#connections]) this.#destroy(connection, 'pool-closed');
    }
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    for (const connection of [...this.#connections]) this.#destroy(connection, 'pool-closed');
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #waitForDrain(timeoutMs: number): Promise<boolean> {
    if (this.#active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#drained.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #notifyDrained(): void {
    for (const notify of this.#drained.splice(0)) notify();
  }
}
