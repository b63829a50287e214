export { probeDockerEngine } from './docker-engine-probe.js';
export { EmbeddedPostgresError } from './embedded-provider.js';
export type { LocalPostgres } from './local-postgres.js';
export { NoPostgresAvailableError, type ProviderAttempt } from './no-postgres-available-error.js';
export { startPostgres } from './start-postgres.js';
export type { ProviderName, StartPostgresOptions } from './start-postgres-options.js';
