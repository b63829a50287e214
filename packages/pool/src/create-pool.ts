import { openTelemetryApi } from '@strata/telemetry';
import { ConnectionPool } from './connection-pool.js';
import type { Pool } from './pool.js';
import { type Environment, resolvePoolConfig } from './pool-config.js';
import type { PoolConfigInput } from './pool-config-input.js';
import { TracedConnectionPool } from './traced-connection-pool.js';

/** Options that are not pool configuration. */
export interface CreatePoolOptions {
  /** Where `DATABASE_URL` and `STRATA_POOL_*` are read from; `process.env` by default, `{}` to ignore. */
  environment?: Environment;
}

/**
 * Creates the process's pool. Configuration comes from `config`, then the environment
 * (`DATABASE_URL`, `STRATA_POOL_MAX`, ...), then the defaults; invalid configuration throws
 * one `InvalidConfigError` naming every bad field. No connection is opened until `ready()`
 * or the first query.
 */
export function createPool(config: PoolConfigInput = {}, options: CreatePoolOptions = {}): Pool {
  const { settings, clientConfig, knex, replicas } = resolvePoolConfig(
    config,
    options.environment ?? process.env,
  );
  // Without the API (or with telemetry off) the plain pool: not even a check per statement.
  // Replica pools are made of the same class.
  const traced = settings.telemetry && openTelemetryApi() !== undefined;
  return new (traced ? TracedConnectionPool : ConnectionPool)(settings, clientConfig, knex, { replicas });
}
