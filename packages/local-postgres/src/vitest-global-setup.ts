import type { ProvidedContext } from 'vitest';
import type { TestProject } from 'vitest/node';
import { startPostgres } from './start-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    strataDatabaseUrl: string;
  }
}

/** What this global setup provides to tests, for `inject()`. */
export type LocalPostgresProvidedContext = Pick<ProvidedContext, 'strataDatabaseUrl'>;

/**
 * A vitest `globalSetup`: one PostgreSQL server for the whole test run. Workers read its URL
 * with `inject('strataDatabaseUrl')` or from `STRATA_TEST_DATABASE_URL` (`testServerUrl()` of
 * `@strata/local-postgres/test-database`).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  project.provide('strataDatabaseUrl', server.connectionString);
  process.env.STRATA_TEST_DATABASE_URL = server.connectionString;
  return () => server.stop();
}
