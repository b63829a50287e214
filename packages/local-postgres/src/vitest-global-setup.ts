import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';
import { startPostgres } from './start-postgres.js';
import type { StartPostgresOptions } from './start-postgres-options.js';

declare module 'vitest' {
  export interface ProvidedContext {
    strataDatabaseUrl: string;
  }
}

/** What this global setup provides to tests, for `inject()`. */
export type LocalPostgresProvidedContext = Pick<ProvidedContext, 'strataDatabaseUrl'>;

/**
 * A vitest `globalSetup` that starts the server with `options`, e.g. `{ settings: {
 * shared_preload_libraries: 'pg_stat_statements' } }` for a package whose tests need a
 * preloaded library; export it as the default of the package's own setup file. (A URL from
 * the environment is used as it is: its server's settings are its own.)
 */
export function postgresGlobalSetup(
  options: StartPostgresOptions = {},
): (project: TestProject) => Promise<() => Promise<void>> {
  return async (project) => {
    const server = await startPostgres(options);
    project.provide('strataDatabaseUrl', server.connectionString);
    process.env.STRATA_TEST_DATABASE_URL = server.connectionString;
    return () => server.stop();
  };
}

/**
 * A vitest `globalSetup`: one PostgreSQL server for the whole test run. Workers read its URL
 * with `inject('strataDatabaseUrl')` or from `STRATA_TEST_DATABASE_URL` (`testServerUrl()` of
 * `@strata/local-postgres/test-database`).
 */
const setup: (project: TestProject) => Promise<() => Promise<void>> = postgresGlobalSetup();
export default setup;
