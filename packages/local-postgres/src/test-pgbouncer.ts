import type { LocalPgBouncer } from './local-pgbouncer.js';
import { PgBouncerUnavailableError } from './pgbouncer-unavailable-error.js';
import { startPgBouncer } from './start-pgbouncer.js';
import type { StartPgBouncerOptions } from './start-pgbouncer-options.js';
import { testServerUrl } from './test-server-url.js';

/**
 * A PgBouncer in front of the test run's server (`testServerUrl()`), for tests that must run
 * through one; every database on the server is reachable through it (`databaseUrl(bouncer.url,
 * name)`). Resolves to undefined when PgBouncer is not installed, so a developer's run skips
 * those tests — except under `CI=true`, where the `PgBouncerUnavailableError` is thrown and the
 * tests fail instead of being skipped. Stop it in `afterAll`.
 */
export async function startTestPgBouncer(
  options: Omit<StartPgBouncerOptions, 'upstream'> = {},
): Promise<LocalPgBouncer | undefined> {
  try {
    return await startPgBouncer({ providers: ['binary'], log: false, ...options, upstream: testServerUrl() });
  } catch (error) {
    if (error instanceof PgBouncerUnavailableError && process.env.CI !== 'true') return undefined;
    throw error;
  }
}
