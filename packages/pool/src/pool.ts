import type { EventEmitter } from 'node:events';
import type {
  ConsistencySession,
  ConsistencySessionOptions,
  ReadConsistency,
} from './consistency-session.js';
import type { HostAddress } from './multi-host-url.js';
import type { PgBouncerFinding, PgBouncerPoolMode } from './pgbouncer-mode.js';
import type { PoolClient } from './pool-client.js';
import type { PoolSettings } from './pool-config.js';
import type { PoolKnex } from './pool-knex.js';
import type { PoolTopologyStatus } from './pool-topology.js';
import type { PoolReader } from './read-router.js';
import type { ReplicaState, ReplicaStatus } from './replica-set.js';

/** Why the pool closed a connection (the `remove` event carries it). */
export type RemovalReason =
  | 'idle-timeout'
  | 'max-lifetime'
  | 'health-check'
  | 'ping-failed'
  | 'broken'
  | 'in-transaction'
  | 'stale-statement'
  | 'destroyed-by-caller'
  | 'failover'
  | 'pool-closed';

/** A column of a result, as PostgreSQL describes it. */
export interface QueryField {
  name: string;
  dataTypeID: number;
}

/** What a query returns (node-postgres' result shape). */
export interface QueryResult<Row = Record<string, unknown>> {
  rows: Row[];
  /** Rows returned or affected; null for commands that report none. */
  rowCount: number | null;
  /** The command tag, e.g. `SELECT`, `INSERT`. */
  command: string;
  fields: QueryField[];
}

/** A snapshot of the pool, cheap to take. Latencies cover the most recent 2048 acquisitions. */
export interface PoolStats {
  /** Open connections (idle + active + being probed). */
  total: number;
  idle: number;
  active: number;
  /** Callers waiting for a connection. */
  waiting: number;
  /** Connections being opened right now. */
  opening: number;
  /** Connections opened since the pool was created. */
  created: number;
  /** Connections closed since the pool was created. */
  destroyed: number;
  acquireCount: number;
  acquireLatencyMs: { p50: number; p99: number };
  /** Errors raised to callers: query errors, acquire timeouts and failed connects. */
  errors: number;
  acquireTimeouts: number;
  /** TCP connections attempted since the pool was created, probes of the failover search included. */
  connectAttempts: number;
  /** Named statements that met another client's behind PgBouncer (42P05, 26000) and ran again unnamed. */
  preparedStatementConflicts: number;
}

/** The events a pool emits, with their payloads. */
export interface PoolEvents {
  /** A connection was opened. */
  connect: [{ connectionId: number; processId: number }];
  /** A connection was closed, and why. */
  remove: [{ connectionId: number; processId: number; reason: RemovalReason }];
  /** Opening a connection failed (in the background, or for a waiting caller). */
  'connection-error': [{ error: unknown }];
  /** A connection was held longer than `leakDetectionThreshold`; reported once per checkout. */
  leak: [{ connectionId: number; processId: number; heldMs: number; stack: string }];
  /** A health check ran over the idle connections. */
  'health-check': [{ probed: number; removed: number }];
  /** With several hosts: the server `targetSessionAttrs` asks for was found, at first or after a failover. */
  primary: [{ host: string; port: number; previous: HostAddress | undefined }];
  /** A read replica became healthy, lagging, unreachable, ... */
  'replica-state': [ReplicaStatus & { previous: ReplicaState }];
  /**
   * The first connection found what is in front of the server (PgBouncer and its pool mode, or
   * nothing), or the configured `pgbouncer` setting was applied; `message` says what the pool
   * changed. Without a listener, a detected PgBouncer is logged with `console.info`.
   */
  pgbouncer: [PgBouncerFinding];
  /**
   * A named prepared statement met another client's on a PgBouncer server connection (42P05)
   * or was missing there (26000). It ran again unnamed; the pool names no more statements.
   */
  'prepared-statement-conflict': [{ connectionId: number; sqlState: string }];
}

/** Options of `pool.connect()`. */
export interface ConnectOptions {
  /**
   * `false` leaves this checkout out of leak detection, so no stack is captured for it. For
   * holders that release in a `finally` of their own and report long holds themselves, as
   * `withTransaction` does with its long-transaction warning. Default `true`.
   */
  leakDetection?: boolean;
}

/**
 * One PostgreSQL pool per process. Raw SQL (`query`, `connect`), Knex (`knex`) and
 * Objection (models bound to `knex`) all draw from it, so `max` is a real limit.
 * Events (`pool.on('leak', ...)`) let an app log or export what happens inside.
 */
export interface Pool extends EventEmitter<PoolEvents> {
  /** The resolved configuration, password removed (target `host`/`port` included). */
  readonly config: PoolSettings;
  /**
   * The pool mode of the PgBouncer in front (`transaction` or `session`), `false` when there is
   * none, `undefined` until the first connection found out (see the `pgbouncer` setting).
   */
  readonly pgbouncer: PgBouncerPoolMode | false | undefined;
  /**
   * A Knex instance whose every query (and transaction) runs on this pool's connections.
   * Bind Objection models to it: `Model.knex(pool.knex)` or `pool.bindModel(Model)`.
   * Do not `destroy()` it; close the pool instead. Created (and the `knex` package, an
   * optional peer dependency, loaded) on first access; throws `KnexNotInstalledError` when
   * knex is not installed.
   */
  readonly knex: PoolKnex;
  /**
   * Opens `min` connections, retrying with backoff for `readyTimeout` while the server is
   * not up yet; then keeps `min` warm. Rejects with a ConnectionError that says why.
   */
  ready(): Promise<void>;
  /**
   * Runs one statement on a pooled connection (or the ambient one, see `runWithConnection`).
   * With `values` it runs as a named prepared statement unless `preparedStatements` is off
   * (or unset behind PgBouncer in transaction mode); without, it uses the simple protocol and
   * may hold several statements.
   * Errors arrive as typed Strata errors (`UniqueViolationError`, `ConnectionError`, ...).
   */
  query<Row = Record<string, unknown>>(text: string, values?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Checks out a connection for several statements; always `release()` it (in `finally`). */
  connect(options?: ConnectOptions): Promise<PoolClient>;
  /** Binds an Objection model class to this pool's Knex: `pool.bindModel(Person).query()`. */
  bindModel<M extends { bindKnex(knex: PoolKnex): M }>(model: M): M;
  /**
   * Reads on the read replicas, under the consistency of the current session (`session()`),
   * or bounded lag (`replica`) outside one. Without replicas, reads go to the primary.
   */
  readonly replica: PoolReader;
  /** Reads with an explicit consistency: `primary`, `replica` (bounded lag) or `read-your-writes`. */
  reader(consistency?: ReadConsistency): PoolReader;
  /**
   * A consistency session, e.g. one per HTTP request: `session.run(fn)` makes its consistency
   * (default `read-your-writes`) the default of reads in `fn`, and tracks its writes;
   * `session.position()` is the WAL position to hand to the client for its next request.
   */
  session(options?: ConsistencySessionOptions): ConsistencySession;
  /** The session of this pool active in the current async context, if any. */
  currentSession(): ConsistencySession | undefined;
  /** Where connections go: the current primary (with several hosts), each replica's state and lag. */
  topology(): PoolTopologyStatus;
  stats(): PoolStats;
  /**
   * Stops handing out connections (`PoolClosedError`), lets in-flight work finish for up to
   * `timeoutMs` (default 10 s), cancels what still runs, then closes every connection.
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
  readonly closed: boolean;
}

export type { PgBouncerFinding, PgBouncerPoolMode };
