export {
  type AmbientScope,
  currentAmbientScope,
  getAmbientConnection,
  runWithAmbientContext,
  runWithConnection,
} from './ambient-connection.js';
export {
  type ConsistencySession,
  type ConsistencySessionOptions,
  formatWalPosition,
  parseWalPosition,
  type ReadConsistency,
} from './consistency-session.js';
export { type CreatePoolOptions, createPool } from './create-pool.js';
export type { HostAddress, TargetSessionAttrs } from './multi-host-url.js';
export { NoMatchingServerError } from './no-matching-server-error.js';
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
export { type Environment, type PoolSettings, resolvePoolConfig } from './pool-config.js';
export type {
  PgBouncerSetting,
  PoolConfigInput,
  PoolHostInput,
  PoolTlsOptions,
} from './pool-config-input.js';
export {
  ClientReleasedError,
  KnexNotInstalledError,
  PoolClosedError,
  type PoolCounts,
  PoolTimeoutError,
} from './pool-errors.js';
export type { KnexNotInstalled, KnexOptions, PoolKnex } from './pool-knex.js';
export { poolOfKnex } from './pool-of-knex.js';
export type { PoolTopologyStatus } from './pool-topology.js';
export type { PoolReader } from './read-router.js';
export type { ReplicaState, ReplicaStatus } from './replica-set.js';
export type { ReplicaSettings } from './topology-config.js';
