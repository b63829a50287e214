import { StrataError } from '@strata/errors';

const VARIABLE = 'STRATA_TEST_DATABASE_URL';

/** No PostgreSQL server is configured for tests; the message says how to provide one. */
export class NoTestServerError extends StrataError {
  constructor() {
    super(
      'NO_TEST_SERVER',
      `No PostgreSQL server for tests: ${VARIABLE} is not set. Add ` +
        "globalSetup: ['@strata/local-postgres/vitest-global-setup'] to the vitest config (it starts " +
        `a server and sets ${VARIABLE} for the test workers), or set ${VARIABLE} to a server on which ` +
        'tests may create and drop databases.',
    );
  }
}

/**
 * The URL of the test run's PostgreSQL server, with the rights to create and drop databases:
 * `STRATA_TEST_DATABASE_URL`, which the `./vitest-global-setup` of this package sets for every
 * test worker (it also honours a value set beforehand). Read from the environment rather than
 * vitest's `inject`, so that it works synchronously at import time and under any test runner.
 * Throws `NoTestServerError` when no server is configured — never an empty URL.
 */
export function testServerUrl(): string {
  const url = process.env[VARIABLE];
  if (!url) throw new NoTestServerError();
  return url;
}
