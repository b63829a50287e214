import type { TargetSessionAttrs } from './multi-host-url.js';
import type { KnexOptions } from './pool-knex.js';

/** The `pgbouncer` setting. */
export type PgBouncerSetting = 'auto' | 'transaction' | 'session' | false;

/** Node TLS options the pool passes on (`ssl`). */
export interface PoolTlsOptions {
  rejectUnauthorized?: boolean | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  servername?: string | undefined;
}

/** One host of `hosts`: `'host'`, `'host:port'` (IPv6 in brackets) or `{ host, port }`. */
export type PoolHostInput = string | { host: string; port?: number | undefined };

/**
 * What `createPool` accepts. Every field is optional: the environment (`DATABASE_URL`,
 * `STRATA_POOL_MAX`, ...) and then the defaults fill in the rest; durations are milliseconds.
 * The connection target is either `connectionString` or discrete fields (`host`, `port`,
 * `database`, `user`, `password`); discrete fields win over the URL's parts. The defaults
 * live in one place, `pool-config-schema.ts`; a type test keeps this interface equal to its input.
 */
export interface PoolConfigInput {
  /**
   * `postgres://user:password@host:port/database?sslmode=...` (DATABASE_URL); several hosts
   * libpq-style: `postgres://user:password@a:5432,b:5432/database?target_session_attrs=read-write`.
   */
  connectionString?: string | undefined;
  host?: string | undefined;
  port?: number | undefined;
  database?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  /** TLS: `true`, Node TLS options, or `false`. Defaults to what the URL's `sslmode` says. */
  ssl?: boolean | PoolTlsOptions | undefined;

  /** Most connections the pool holds, across raw SQL, Knex and Objection. Default 25. */
  max?: number | undefined;
  /** Connections kept open and warm once `ready()` has run; default 5 (or `max`, if lower). */
  min?: number | undefined;
  /** A connection older than this is closed when next released (never mid-query); 0 = no limit. Default 30 min. */
  maxLifetime?: number | undefined;
  /** Each connection's lifetime is drawn from [maxLifetime × (1 − jitter), maxLifetime]. Default 0.1. */
  maxLifetimeJitter?: number | undefined;
  /** An idle connection unused for this long is closed (the pool then refills to `min`); 0 = never. Default 5 min. */
  idleTimeout?: number | undefined;
  /** How often idle connections are probed, expired ones closed and `min` restored. Default 30 s. */
  healthCheckPeriod?: number | undefined;
  /** A connection idle for longer than this is pinged before it is handed out. Default 1 s. */
  pingAfterIdle?: number | undefined;
  /** How long a caller waits for a free connection before `PoolTimeoutError`. Default 10 s. */
  acquireTimeout?: number | undefined;
  /** How long opening one connection may take. Default 5 s. */
  connectTimeout?: number | undefined;
  /** How long `ready()` keeps retrying (with backoff) while the server is not up. Default 30 s. */
  readyTimeout?: number | undefined;
  /** Report a connection checked out (connect() or Knex) for longer than this; 0 = off. Default 60 s. */
  leakDetectionThreshold?: number | undefined;

  /** Sent as the `application_name` startup parameter; shows in pg_stat_activity. Default `strata`. */
  applicationName?: string | undefined;
  /** Startup parameter `statement_timeout` (ms); the server's setting when omitted. */
  statementTimeout?: number | undefined;
  /** Startup parameter `lock_timeout` (ms). */
  lockTimeout?: number | undefined;
  /** Startup parameter `idle_in_transaction_session_timeout` (ms). */
  idleInTransactionSessionTimeout?: number | undefined;

  /**
   * Hosts to find the primary among (`'host:port'` or `{ host, port }`), in order. Wins over
   * the host list of `connectionString` and over `host`/`port`.
   */
  hosts?: PoolHostInput[] | undefined;
  /**
   * Which host to use: libpq's `target_session_attrs`. Default: the URL's parameter, else
   * `read-write` with several hosts and `any` with one.
   */
  targetSessionAttrs?: TargetSessionAttrs | undefined;
  /** Read replicas, one URL each; user, password, database and TLS default to the primary's. */
  replicas?: string[] | undefined;
  /** A replica further behind than this (ms) gets no reads until it catches up. Default 1 s. */
  maxReplicaLag?: number | undefined;
  /** How long a read-your-writes read waits for a replica to replay the session's last write before it goes to the primary. Default 100 ms. */
  readYourWritesTimeout?: number | undefined;
  /** How often replicas are probed (health, lag) and the primary's role is checked again. Default 1 s. */
  topologyCheckPeriod?: number | undefined;
  /** Backoff between rounds of looking for the primary: doubling from `baseDelay` (100 ms) to `maxDelay` (1 s), with jitter. */
  failoverBackoff?: { baseDelay?: number | undefined; maxDelay?: number | undefined } | undefined;

  /**
   * Run parameterised `query()` calls as named prepared statements (named by a hash of the
   * SQL, prepared once per connection). Unset: on, except behind PgBouncer in transaction
   * mode. `true` there means PgBouncer ≥ 1.21 with `max_prepared_statements` > 0.
   */
  preparedStatements?: boolean | undefined;
  /**
   * OpenTelemetry spans and metrics (see the README). They cost nothing measurable while no
   * OpenTelemetry SDK is registered; `false` turns them off for this pool even when one is.
   */
  telemetry?: boolean | undefined;
  /** `db.client.connection.pool.name` of the pool's metrics; defaults to `host:port/database`. */
  poolName?: string | undefined;
  /**
   * PgBouncer in front: `auto` (the default) detects it on the first connection; `transaction`
   * or `session` says so (no detection); `false` says there is none.
   */
  pgbouncer?: PgBouncerSetting | undefined;
  /** Options for the shared Knex instance (e.g. `postProcessResponse`, `wrapIdentifier`). */
  knex?: KnexOptions | undefined;
}
