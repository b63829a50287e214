import { ConnectionPool } from './connection-pool.js';
import type { Pool } from './pool.js';
import { type Environment, type PoolConfigInput, resolvePoolConfig } from './pool-config.js';

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
  const resolved = resolvePoolConfig(config, options.environment ?? process.env);
  return new ConnectionPool(resolved.settings, resolved.clientConfig, resolved.knex, {
    replicas: resolved.replicas,
  });
}
