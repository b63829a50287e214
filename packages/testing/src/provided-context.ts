import type { ProvidedContext } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The test server's URL (with its credentials): the harness creates its databases there. */
    strataTestServerUrl: string;
    /** The migrated template every worker database is cloned from. */
    strataTemplateDatabase: string;
    /** Each worker's database is this prefix plus its `VITEST_POOL_ID`, e.g. `strata_test_1a2b3c4d_w1`. */
    strataWorkerDatabasePrefix: string;
    /** The `pool` option of the testing configuration: each worker's pool options. */
    strataPoolOptions: Record<string, unknown>;
  }
}

/**
 * What the harness's global setup provides to tests, for vitest's `inject()`. Importing
 * `@strata/testing/vitest` or `@strata/testing` types `inject('strataTestServerUrl')` & co.
 */
export type TestingProvidedContext = Pick<
  ProvidedContext,
  'strataTestServerUrl' | 'strataTemplateDatabase' | 'strataWorkerDatabasePrefix' | 'strataPoolOptions'
>;
