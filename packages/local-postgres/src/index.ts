export { probeDockerEngine } from './docker-engine-probe.js';
export { EmbeddedPostgresError } from './embedded-postgres-error.js';
export type { LocalPgBouncer } from './local-pgbouncer.js';
export type { LocalPostgres, LocalPostgresServer, ServerStopMode } from './local-postgres.js';
export { NoPostgresAvailableError, type ProviderAttempt } from './no-postgres-available-error.js';
export { PgBouncerUnavailableError } from './pgbouncer-unavailable-error.js';
