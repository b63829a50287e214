import type { ConnectionOptions } from 'node:tls';
import { type ConfigIssue, InvalidConfigError, redactConnectionString } from '@strata/errors';
import { parse as parseConnectionString } from 'pg-connection-string';
import type { HostAddress, TargetSessionAttrs } from './multi-host-url.js';
import type { PgBouncerSetting, PoolConfigInput } from './pool-config-input.js';
import { type ParsedPoolConfig, parsePoolConfig } from './pool-config-schema.js';
import type { KnexOptions } from './pool-knex.js';
import {
  type ReplicaSettings,
  type ResolvedTopology,
  readConnectionUrl,
  resolveTopology,
  splitUrlList,
  TOPOLOGY_ENVIRONMENT_VARIABLES,
} from './topology-config.js';

/**
 * The resolved configuration as `pool.config` shows it: the target host and port, every
 * setting with its default applied, and no password anywhere.
 */
export interface PoolSettings {
  /** The connection URL with its password replaced by `***`, when one was given. */
  readonly connectionString: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly database: string | undefined;
  readonly user: string | undefined;
  /** Whether connections use TLS. */
  readonly ssl: boolean;
  readonly max: number;
  readonly min: number;
  readonly maxLifetime: number;
  readonly maxLifetimeJitter: number;
  readonly idleTimeout: number;
  readonly healthCheckPeriod: number;
  readonly pingAfterIdle: number;
  readonly acquireTimeout: number;
  readonly connectTimeout: number;
  readonly readyTimeout: number;
  readonly leakDetectionThreshold: number;
  readonly applicationName: string;
  readonly statementTimeout: number | undefined;
  readonly lockTimeout: number | undefined;
  readonly idleInTransactionSessionTimeout: number | undefined;
  /** Every host the primary is looked for among, in order (`host`/`port` are the first). */
  readonly hosts: readonly HostAddress[];
  readonly targetSessionAttrs: TargetSessionAttrs;
  readonly replicas: readonly ReplicaSettings[];
  readonly maxReplicaLag: number;
  readonly readYourWritesTimeout: number;
  readonly topologyCheckPeriod: number;
  readonly failoverBackoff: { readonly baseDelay: number; readonly maxDelay: number };
  /** Undefined: on, except behind PgBouncer in transaction mode. */
  readonly preparedStatements: boolean | undefined;
  readonly pgbouncer: PgBouncerSetting;
  readonly telemetry: boolean;
  /** Names the pool in OpenTelemetry metrics: `poolName`, else `host:port/database`. */
  readonly poolName: string;
}

/**
 * The node-postgres client config the pool opens its connections with: the fields it sets,
 * typed here so the pool's public types need not reference `pg`'s (@types/pg).
 */
export interface DriverConfig {
  host: string;
  port: number;
  database: string | undefined;
  user: string | undefined;
  password: string | undefined;
  ssl: boolean | ConnectionOptions;
  connectionTimeoutMillis: number;
  keepAlive: boolean;
  /** Startup parameters: they hold for the whole session, also behind PgBouncer. */
  application_name: string;
  statement_timeout?: number;
  lock_timeout?: number;
  idle_in_transaction_session_timeout?: number;
  /** Command-line options for the backend, e.g. `-c lock_timeout=0`. */
  options?: string;
}

/** The settings plus what only the pool itself may see (the driver config holds the password). */
export interface ResolvedPoolConfig {
  settings: PoolSettings;
  /** node-postgres client config, session settings included as startup parameters. */
  clientConfig: DriverConfig;
  knex: KnexOptions | undefined;
  /** Each read replica's settings and driver config. */
  replicas: ResolvedTopology['replicas'];
}

/** Environment variables the pool reads, and the field each one sets. */
const ENVIRONMENT_VARIABLES = {
  DATABASE_URL: { field: 'connectionString', type: 'string' },
  STRATA_POOL_MAX: { field: 'max', type: 'integer' },
  STRATA_POOL_MIN: { field: 'min', type: 'integer' },
  STRATA_POOL_MAX_LIFETIME_MS: { field: 'maxLifetime', type: 'integer' },
  STRATA_POOL_IDLE_TIMEOUT_MS: { field: 'idleTimeout', type: 'integer' },
  STRATA_POOL_HEALTH_CHECK_PERIOD_MS: { field: 'healthCheckPeriod', type: 'integer' },
  STRATA_POOL_ACQUIRE_TIMEOUT_MS: { field: 'acquireTimeout', type: 'integer' },
  STRATA_POOL_CONNECT_TIMEOUT_MS: { field: 'connectTimeout', type: 'integer' },
  STRATA_POOL_READY_TIMEOUT_MS: { field: 'readyTimeout', type: 'integer' },
  STRATA_POOL_LEAK_DETECTION_THRESHOLD_MS: { field: 'leakDetectionThreshold', type: 'integer' },
  STRATA_POOL_APPLICATION_NAME: { field: 'applicationName', type: 'string' },
  STRATA_POOL_STATEMENT_TIMEOUT_MS: { field: 'statementTimeout', type: 'integer' },
  STRATA_POOL_LOCK_TIMEOUT_MS: { field: 'lockTimeout', type: 'integer' },
  STRATA_POOL_IDLE_IN_TRANSACTION_SESSION_TIMEOUT_MS: {
    field: 'idleInTransactionSessionTimeout',
    type: 'integer',
  },
  STRATA_POOL_PREPARED_STATEMENTS: { field: 'preparedStatements', type: 'boolean' },
  ...TOPOLOGY_ENVIRONMENT_VARIABLES,
  STRATA_POOL_TELEMETRY: { field: 'telemetry', type: 'boolean' },
  STRATA_POOL_NAME: { field: 'poolName', type: 'string' },
  STRATA_POOL_PGBOUNCER: { field: 'pgbouncer', type: 'pgbouncer' },
} as const satisfies Record<
  string,
  { field: keyof PoolConfigInput; type: 'string' | 'integer' | 'boolean' | 'list' | 'pgbouncer' }
>;

/** Environment variables as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

function fromEnvironment(environment: Environment, issues: ConfigIssue[]) {
  const config: Record<string, unknown> = {};
  const sources = new Map<string, string>();
  for (const [variable, { field, type }] of Object.entries(ENVIRONMENT_VARIABLES)) {
    const raw = environment[variable];
    if (raw === undefined || raw.trim() === '') continue;
    sources.set(field, variable);
    if (type === 'string') {
      config[field] = raw;
    } else if (type === 'list') {
      config[field] = splitUrlList(raw);
    } else if (type === 'pgbouncer') {
      // `false` (or off, no, 0, none) says there is none; the mode names pass through for the schema to check.
      config[field] = /^(false|0|off|no|none)$/i.test(raw.trim()) ? false : raw.trim().toLowerCase();
    } else if (type === 'integer') {
      if (/^\s*-?\d+\s*$/.test(raw)) config[field] = Number(raw);
      else issues.push({ path: variable, message: 'must be a whole number' });
    } else if (/^(true|1|on|yes)$/i.test(raw.trim())) {
      config[field] = true;
    } else if (/^(false|0|off|no)$/i.test(raw.trim())) {
      config[field] = false;
    } else {
      issues.push({ path: variable, message: 'must be true or false' });
    }
  }
  return { config, sources };
}

/**
 * Validates the pool configuration: `config` first, then the environment (`DATABASE_URL`,
 * `STRATA_POOL_MAX`, ...), then the defaults. Throws one `InvalidConfigError` naming every
 * bad field (or environment variable); no password appears in it.
 */
export function resolvePoolConfig(
  config: PoolConfigInput = {},
  environment: Environment = {},
): ResolvedPoolConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new InvalidConfigError('pool', [{ path: '', message: 'must be an object of pool settings' }]);
  }
  const issues: ConfigIssue[] = [];
  const fromEnv = fromEnvironment(environment, issues);
  const explicit = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  for (const field of Object.keys(explicit)) fromEnv.sources.delete(field);

  const parsed = parsePoolConfig({ ...fromEnv.config, ...explicit });
  for (const problem of parsed.problems ?? []) {
    const variable = fromEnv.sources.get(problem.path[0] ?? '');
    const path = problem.path.join('.');
    issues.push({ path: variable ? `${variable} (${path})` : path, message: problem.message });
  }
  if (issues.length > 0 || parsed.problems) throw new InvalidConfigError('pool', issues);
  return resolveTarget(parsed.config);
}

function resolveTarget(parsed: ParsedPoolConfig): ResolvedPoolConfig {
  // A URL with several hosts is read through its first; the host list comes from resolveTopology.
  const connectionUrl = readConnectionUrl(parsed.connectionString);
  const url: Partial<ReturnType<typeof parseConnectionString>> = connectionUrl
    ? parseConnectionString(connectionUrl.singleHostUrl)
    : {};
  // host and port come from the topology (the first of the hosts).
  const driver: Omit<DriverConfig, 'host' | 'port'> = {
    database: parsed.database ?? (url.database || undefined),
    user: parsed.user ?? (url.user || undefined),
    password: parsed.password ?? (url.password || undefined),
    ssl: parsed.ssl ?? (url.ssl as DriverConfig['ssl'] | undefined) ?? false,
    connectionTimeoutMillis: parsed.connectTimeout,
    keepAlive: true,
    // Startup parameters, not SET: they hold for the whole session. Behind PgBouncer, which
    // refuses them, session-settings.ts applies them instead.
    application_name: parsed.applicationName,
    ...(parsed.statementTimeout !== undefined && { statement_timeout: parsed.statementTimeout }),
    ...(parsed.lockTimeout !== undefined && { lock_timeout: parsed.lockTimeout }),
    ...(parsed.idleInTransactionSessionTimeout !== undefined && {
      idle_in_transaction_session_timeout: parsed.idleInTransactionSessionTimeout,
    }),
    ...(url.options && { options: url.options }),
  };
  // node-postgres skips a startup parameter whose value is 0; 0 must still override a
  // server or role default, so it goes through `options` instead.
  const zeroSettings = (
    [
      ['statement_timeout', parsed.statementTimeout],
      ['lock_timeout', parsed.lockTimeout],
      ['idle_in_transaction_session_timeout', parsed.idleInTransactionSessionTimeout],
    ] as const
  )
    .filter(([, value]) => value === 0)
    .map(([name]) => `-c ${name}=0`);
  if (zeroSettings.length > 0) {
    driver.options = [driver.options, ...zeroSettings].filter(Boolean).join(' ');
  }

  const topology = resolveTopology(parsed, connectionUrl, driver);
  const primary = topology.hosts[0] as HostAddress;
  const clientConfig: DriverConfig = { ...driver, host: primary.host, port: primary.port };

  const {
    connectionString,
    password: _password,
    ssl: _ssl,
    knex,
    hosts: _hosts,
    replicas: _replicas,
    ...rest
  } = parsed;
  const settings: PoolSettings = Object.freeze({
    ...rest,
    hosts: Object.freeze(topology.hosts),
    targetSessionAttrs: topology.targetSessionAttrs,
    replicas: Object.freeze(topology.replicas.map((replica) => replica.settings)),
    connectionString: connectionString ? redactConnectionString(connectionString) : undefined,
    host: clientConfig.host,
    port: clientConfig.port,
    database: clientConfig.database,
    user: clientConfig.user,
    ssl: Boolean(clientConfig.ssl),
    statementTimeout: parsed.statementTimeout,
    lockTimeout: parsed.lockTimeout,
    idleInTransactionSessionTimeout: parsed.idleInTransactionSessionTimeout,
    poolName: parsed.poolName ?? `${clientConfig.host}:${clientConfig.port}/${clientConfig.database ?? ''}`,
    preparedStatements: parsed.preparedStatements,
  });
  return { settings, clientConfig, knex, replicas: topology.replicas };
}
