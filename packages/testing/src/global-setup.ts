import { availableParallelism } from 'node:os';
import { StrataError } from '@strata/errors';
import { type LocalPostgres, startPostgres } from '@strata/local-postgres';
import { dropDatabase, withAdminConnection } from '@strata/local-postgres/test-database';
import { createMigrator } from '@strata/migrate';
import { createPool } from '@strata/pool';
import type { ProvidedContext } from 'vitest';
import { cloneWorkerDatabases, dropRunDatabases, newRunPrefix } from './run-databases.js';
import { withServerErrors } from './server-errors.js';
import { createTemplateDatabase } from './template-database.js';
import { TestSetupError, type TestSetupStep } from './test-setup-error.js';
import {
  loadTestingConfigFile,
  type ResolvedTestingConfig,
  resolveTestingConfig,
  type TestingConfig,
} from './testing-config.js';

export type { TestingProvidedContext } from './provided-context.js';

/** What the global setup uses of vitest's `TestProject`. */
export interface GlobalSetupProject {
  readonly config: { readonly root: string; readonly maxWorkers?: number | undefined };
  provide<T extends keyof ProvidedContext & string>(key: T, value: ProvidedContext[T]): void;
  globTestFiles?(): Promise<{ testFiles: string[] }>;
  /** vitest's experimental state API: where a setup failure is reported as one error. */
  readonly vitest?: { readonly state?: { catchError?(error: unknown, type: string): void } };
}

// The URL variable the harness reads by itself. DATABASE_URL is deliberately not one: it
// names the application's database, and the harness creates and drops databases.
const SERVER_URL_VARIABLE = 'STRATA_TEST_DATABASE_URL';

async function step<T>(name: TestSetupStep, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw error instanceof TestSetupError ? error : new TestSetupError(name, error);
  }
}

async function findServer(config: ResolvedTestingConfig): Promise<LocalPostgres> {
  if (config.serverUrl) {
    return { connectionString: config.serverUrl, provider: 'url', replicas: [], stop: async () => {} };
  }
  return startPostgres({
    urlEnvironmentVariables: [SERVER_URL_VARIABLE],
    settings: { max_connections: 300, ...config.serverSettings },
  });
}

// Through a Strata pool, not a Knex pool of the migrator's own: connection errors arrive typed
// and Knex prints nothing ("Acquire connection error") on its own.
async function runMigrations(directory: string, config: ResolvedTestingConfig, url: string): Promise<void> {
  const pool = createPool({ connectionString: url, min: 0, max: 4 }, { environment: {} });
  const migrator = createMigrator({ directory, knex: pool.knex });
  try {
    await migrator.up();
    if (config.postDeploy) {
      await migrator.markDeploy('strata-testing');
      await migrator.up({ postDeploy: true });
    }
  } finally {
    await migrator.close();
    await pool.close({ timeoutMs: 2_000 });
  }
}

async function migrateTemplate(config: ResolvedTestingConfig, url: string): Promise<void> {
  await step('migrate', async () => {
    if (config.migrate) await config.migrate(url);
    else if (config.migrations) await runMigrations(config.migrations, config, url);
  });
  if (config.seed) await step('seed', () => (config.seed as (url: string) => Promise<void>)(url));
}

// One database per worker vitest can run at once, and no more than there are test files.
async function workerCount(project: GlobalSetupProject): Promise<number> {
  const maxWorkers = project.config.maxWorkers || Math.max(availableParallelism() - 1, 1);
  const files = await project.globTestFiles?.().then(
    (found) => found.testFiles.length,
    () => undefined,
  );
  return Math.max(1, Math.min(maxWorkers, files || maxWorkers));
}

async function setUp(
  project: GlobalSetupProject,
  config: TestingConfig | undefined,
  cleanups: (() => Promise<unknown>)[],
): Promise<void> {
  const root = project.config.root;
  const resolved = await step('config', async () =>
    resolveTestingConfig(config ?? (await loadTestingConfigFile(root)), root),
  );
  const server = await step('server', () => findServer(resolved));
  cleanups.push(() => server.stop());
  const serverUrl = server.connectionString;
  await step('connect', () =>
    withServerErrors(serverUrl, () => withAdminConnection((client) => client.query('select 1'), serverUrl)),
  );

  const template = resolved.templateDatabase;
  await step('template', () =>
    createTemplateDatabase({ serverUrl, name: template, migrate: (url) => migrateTemplate(resolved, url) }),
  );
  cleanups.push(() => dropDatabase(template, serverUrl));

  const prefix = newRunPrefix();
  cleanups.push(() => dropRunDatabases(serverUrl, prefix));
  const count = await workerCount(project);
  await step('clone', () => cloneWorkerDatabases({ serverUrl, template, prefix, count }));

  project.provide('strataTestServerUrl', serverUrl);
  project.provide('strataTemplateDatabase', template);
  project.provide('strataWorkerDatabasePrefix', prefix);
  project.provide('strataPoolOptions', resolved.pool);
}

/**
 * What to throw for a failed setup. Thrown as is, vitest prints "No test files found" above it,
 * which sends people after their `include` globs. So where vitest's (experimental) state API
 * is there, the failure is reported through it — printed once, labelled, exit code 1 — and
 * the run ends the way vitest ends one with nothing to run.
 */
async function reportedFailure(project: GlobalSetupProject, failure: TestSetupError): Promise<Error> {
  const state = project.vitest?.state;
  const vitestNode = await import('vitest/node').catch(() => undefined);
  if (typeof state?.catchError !== 'function' || typeof vitestNode?.TestsNotFoundError !== 'function') {
    return failure;
  }
  // A Strata cause is already told in full by the message; its stack and the driver error
  // under it would only bury it. Anything else (a user's migrate or seed threw) keeps its stack.
  const shown = new TestSetupError(failure.step, failure.cause);
  if (failure.cause instanceof StrataError) delete (shown as { cause?: unknown }).cause;
  state.catchError(shown, 'Strata test setup');
  return new vitestNode.TestsNotFoundError('test');
}

// Last in, first out: worker databases, then the template, then the server.
async function cleanUp(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}

/**
 * Builds a vitest `globalSetup`: finds one PostgreSQL server (`serverUrl`, else
 * `STRATA_TEST_DATABASE_URL`, else Docker or embedded PostgreSQL with durability off — never
 * `DATABASE_URL` unless given as `serverUrl`), migrates a template database once, and clones
 * it into one database per vitest worker, all at once. Everything it creates it drops at the
 * end, and nothing else. A failure is one `TestSetupError` saying which step failed and what
 * to do.
 *
 * @example
 * // test/global-setup.ts
 * export default createGlobalSetup({ migrations: './migrations' });
 */
export function createGlobalSetup(config?: TestingConfig) {
  return async function setup(project: GlobalSetupProject): Promise<() => Promise<void>> {
    const cleanups: (() => Promise<unknown>)[] = [];
    try {
      await setUp(project, config, cleanups);
    } catch (error) {
      await cleanUp(cleanups);
      throw await reportedFailure(project, error as TestSetupError);
    }
    return () => cleanUp(cleanups);
  };
}

/** The zero-configuration global setup: reads `strata.test.config.{mjs,js,json}` or uses `./migrations`. */
export default createGlobalSetup();
