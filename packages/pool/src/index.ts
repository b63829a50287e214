export {
  type AmbientScope,
  currentAmbientScope,
  getAmbientConnection,
  runWithAmbientContext,
  runWithConnection,
} from './ambient-connection.js';
export { type CreatePoolOptions, createPool } from './create-pool.js';
export type {
  ConnectOptions,
  PgBouncerFinding,
  PgBouncerPoolMode,
  Pool,
  PoolEvents,
  PoolStats,
  QueryField,
  QueryResult,
  RemovalReason,
} from './pool.js';
export type { PoolClient } from './pool-client.js';
export {
  type Environment,
  type PgBouncerSetting,
  type PoolConfigInput,
  type PoolSettings,
  poolConfigSchema,
  resolvePoolConfig,
} from './pool-config.js';
export {
  ClientReleasedError,
  KnexNotInstalledError,
  PoolClosedError,
  type PoolCounts,
  PoolTimeoutError,
} from './pool-errors.js';
export type { KnexNotInstalled, KnexOptions, PoolKnex } from './pool-knex.js';
export { poolOfKnex } from './pool-of-knex.js';
