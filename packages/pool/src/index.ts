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
  type KnexOptions,
  type PoolConfigInput,
  type PoolSettings,
  poolConfigSchema,
  resolvePoolConfig,
} from './pool-config.js';
export { ClientReleasedError, PoolClosedError, type PoolCounts, PoolTimeoutError } from './pool-errors.js';
export { poolOfKnex } from './pool-of-knex.js';
