import path from 'node:path';
import { ConnectionError, InvalidConfigError } from '@strata/errors';
import type {} from '@strata/local-postgres/vitest-global-setup';
import { afterEach, describe, expect, inject, test } from 'vitest';
import { closedPort, databasesStartingWith, query } from '../test/support/server.js';
import { createGlobalSetup, type GlobalSetupProject } from './global-setup.js';
import { DatabaseNotOwnedError } from './template-database.js';
import { TestSetupError } from './test-setup-error.js';

const serverUrl = inject('strataDatabaseUrl');
const root = path.resolve(import.meta.dirname, '..');
const migrations = './test/migrations';

/** A vitest project as the global setup sees it, recording what it is given. */
function project(options: { maxWorkers?: number; testFiles?: number } = {}) {
  const provided: Record<string, unknown> = {};
  const reported: { error: unknown; type: string }[] = [];
  const fake: GlobalSetupProject = {
    config: { root, maxWorkers: options.maxWorkers ?? 2 },
    provide: (key, value) => {
      provided[key] = value;
    },
    globTestFiles: async () => ({
      testFiles: Array.from({ length: options.testFiles ?? 10 }, (_, index) => `${index}.test.ts`),
    }),
    vitest: { state: { catchError: (error, type) => reported.push({ error, type }) } },
  };
  return { fake, provided, reported };
}

async function setupFailure(config: Parameters<typeof createGlobalSetup>[0]): Promise<TestSetupError> {
  // Without vitest's state API the failure is thrown as it is.
  const { fake } = project();
  const failure = await createGlobalSetup(config)({ ...fake, vitest: undefined }).catch((error) => error);
  expect(failure).toBeInstanceOf(TestSetupError);
  return failure as TestSetupError;
}

describe('the global setup', () => {
  test('clones one database per worker up front, and drops its own databases and only those', async () => {
    await query(serverUrl, 'create database strata_test_bystander');
    try {
      const { fake, provided } = project({ maxWorkers: 3, testFiles: 2 });
      const teardown = await createGlobalSetup({
        serverUrl,
        migrations,
        templateDatabase: 'strata_template_own',
      })(fake);
      const prefix = provided.strataWorkerDatabasePrefix as string;
      expect(prefix).toMatch(/^strata_test_[0-9a-f]{8}_w$/);
      expect(provided).toEqual({
        strataTestServerUrl: serverUrl,
        strataTemplateDatabase: 'strata_template_own',
        strataWorkerDatabasePrefix: prefix,
        strataPoolOptions: { min: 0, max: 5 },
      });
      // Two test files on up to three workers: two databases, cloned from the migrated template.
      expect(await databasesStartingWith(serverUrl, prefix)).toEqual([`${prefix}1`, `${prefix}2`]);
      const clone = new URL(serverUrl);
      clone.pathname = `/${prefix}1`;
      expect(await query(clone.toString(), 'select count(*)::int as n from users')).toEqual([{ n: 0 }]);

      await teardown();
      expect(await databasesStartingWith(serverUrl, prefix)).toEqual([]);
      expect(await databasesStartingWith(serverUrl, 'strata_template_own')).toEqual([]);
      expect(await databasesStartingWith(serverUrl, 'strata_test_bystander')).toEqual([
        'strata_test_bystander',
      ]);
    } finally {
      await query(serverUrl, 'drop database if exists strata_test_bystander');
    }
  });

  describe('never touches DATABASE_URL unless told to', () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env.DATABASE_URL = saved.DATABASE_URL;
      process.env.STRATA_TEST_DATABASE_URL = saved.STRATA_TEST_DATABASE_URL;
      for (const name of ['DATABASE_URL', 'STRATA_TEST_DATABASE_URL'])
        if (saved[name] === undefined) delete process.env[name];
    });

    test('with only DATABASE_URL set, it starts a server of its own', { timeout: 180_000 }, async () => {
      process.env.DATABASE_URL = serverUrl;
      delete process.env.STRATA_TEST_DATABASE_URL;
      const { fake, provided } = project({ maxWorkers: 1 });
      const teardown = await createGlobalSetup({ migrations, templateDatabase: 'strata_template_dburl' })(
        fake,
      );
      try {
        expect(new URL(provided.strataTestServerUrl as string).port).not.toBe(new URL(serverUrl).port);
        expect(await databasesStartingWith(serverUrl, 'strata_template_dburl')).toEqual([]);
      } finally {
        await teardown();
      }
    });
  });

  test('a server that refuses connections: one TestSetupError naming the server, no password', async () => {
    const url = `postgres://strata:not-the-password@127.0.0.1:${await closedPort()}/postgres`;
    const failure = await setupFailure({ serverUrl: url, migrations });
    expect(failure.step).toBe('connect');
    expect(failure.cause).toBeInstanceOf(ConnectionError);
    expect((failure.cause as ConnectionError).reason).toBe('ECONNREFUSED');
    expect(failure.message).toMatch(
      /^Strata test setup failed while connecting to the test server: Could not connect to the test server postgres:\/\/strata:\*\*\*@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED/,
    );
    expect(failure.message).toMatch(/\nStart that server or fix its URL/);
    expect(failure.message).not.toContain('not-the-password');
  });

  test('a wrong password is a ConnectionError too, not a bare DatabaseError', async () => {
    const url = new URL(serverUrl);
    url.password = 'not-the-password';
    const failure = await setupFailure({ serverUrl: url.toString(), migrations });
    expect(failure.cause).toBeInstanceOf(ConnectionError);
    expect((failure.cause as ConnectionError).reason).toBe('28P01');
    expect(failure.message).toMatch(/password authentication failed/);
    expect(failure.message).not.toContain('not-the-password');
  });

  test('the template carries the strata_ prefix', async () => {
    const failure = await setupFailure({ serverUrl, migrations, templateDatabase: 'app_template' });
    expect(failure.step).toBe('config');
    expect(failure.cause).toBeInstanceOf(InvalidConfigError);
    expect(failure.message).toMatch(/templateDatabase.*must start with strata_/);
  });

  test('a database of the template name it did not create is left alone', async () => {
    await query(serverUrl, 'create database strata_template_foreign');
    try {
      const failure = await setupFailure({
        serverUrl,
        migrations,
        templateDatabase: 'strata_template_foreign',
      });
      expect(failure.step).toBe('template');
      expect(failure.cause).toBeInstanceOf(DatabaseNotOwnedError);
      expect(await databasesStartingWith(serverUrl, 'strata_template_foreign')).toEqual([
        'strata_template_foreign',
      ]);
    } finally {
      await query(serverUrl, 'drop database if exists strata_template_foreign');
    }
  });

  test('under vitest the failure is reported once, through vitest, not as "No test files found"', async () => {
    const { fake, reported } = project();
    const url = `postgres://strata@127.0.0.1:${await closedPort()}/postgres`;
    const thrown = await createGlobalSetup({ serverUrl: url, migrations })(fake).catch((error) => error);
    expect(reported).toEqual([{ error: expect.any(TestSetupError), type: 'Strata test setup' }]);
    // What vitest ends a run with nothing to run on: it prints nothing more for it.
    expect((thrown as Error).constructor.name).toBe('FilesNotFoundError');
  });
});
