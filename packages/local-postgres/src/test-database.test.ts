import { InvalidConfigError } from '@strata/errors';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dropDatabaseOn } from './drop-database.js';
import type { LocalPostgres } from './local-postgres.js';
import { startPostgres } from './start-postgres.js';
import {
  createTestDatabase,
  databaseUrl,
  dropDatabase,
  NoTestServerError,
  testServerUrl,
  withAdminConnection,
} from './test-database.js';

let server: LocalPostgres;
const configuredUrl = process.env.STRATA_TEST_DATABASE_URL;

beforeAll(async () => {
  // What the vitest global setup does: one server, its URL in STRATA_TEST_DATABASE_URL.
  server = await startPostgres({ log: false });
  process.env.STRATA_TEST_DATABASE_URL = server.connectionString;
});
afterAll(async () => {
  if (configuredUrl === undefined) delete process.env.STRATA_TEST_DATABASE_URL;
  else process.env.STRATA_TEST_DATABASE_URL = configuredUrl;
  await server?.stop();
});

const query = <T>(url: string, text: string): Promise<T[]> =>
  withAdminConnection(async (client) => (await client.query(text)).rows as T[], url);

const exists = (name: string) =>
  withAdminConnection(
    async (admin) =>
      (await admin.query('select 1 from pg_database where datname = $1', [name])).rows.length > 0,
  );

async function connectAndLinger(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {}); // the drop under test ends this session
  await client.connect();
  return client;
}

describe('createTestDatabase', () => {
  test('creates an empty database named strata_test_<prefix>_<random> on the test server', async () => {
    const database = await createTestDatabase({ prefix: 'orders' });
    try {
      expect(database.name).toMatch(/^strata_test_orders_[0-9a-f]{10}$/);
      expect(database.url).toBe(databaseUrl(server.connectionString, database.name));
      expect(
        await query(
          database.url,
          "select current_database() as name, count(*)::int as tables from pg_tables where schemaname = 'public'",
        ),
      ).toEqual([{ name: database.name, tables: 0 }]);
    } finally {
      await database.drop();
    }
  });

  test('without a prefix the name still starts with strata_test_, and every call makes a new database', async () => {
    const [a, b] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      expect(a.name).toMatch(/^strata_test_[0-9a-f]{10}$/);
      expect(b.name).not.toBe(a.name);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  test('drop() removes its database even with a session still connected, once, and no other database', async () => {
    const [mine, neighbour] = await Promise.all([
      createTestDatabase({ prefix: 'mine' }),
      createTestDatabase({ prefix: 'mine' }),
    ]);
    const lingering = await connectAndLinger(mine.url);
    try {
      await Promise.all([mine.drop(), mine.drop()]);
      await mine.drop();
      expect(await exists(mine.name)).toBe(false);
      expect(await exists(neighbour.name)).toBe(true);
    } finally {
      await lingering.end().catch(() => undefined);
      await neighbour.drop();
    }
  });

  test('copies a template: tables and rows come along', async () => {
    const template = await createTestDatabase({ prefix: 'template' });
    await query(
      template.url,
      "create table users (email text primary key); insert into users values ('a@b.c')",
    );
    const copy = await createTestDatabase({ prefix: 'copy', template: template.name });
    try {
      expect(await query(copy.url, 'select email from users')).toEqual([{ email: 'a@b.c' }]);
    } finally {
      await Promise.all([copy.drop(), template.drop()]);
    }
  });

  test('takes an exact name and an explicit server URL', async () => {
    const database = await createTestDatabase({
      name: 'exact_name_spec',
      serverUrl: server.connectionString,
    });
    try {
      expect(database.name).toBe('exact_name_spec');
      expect(await exists('exact_name_spec')).toBe(true);
    } finally {
      await database.drop();
    }
  });

  test('invalid options fail with InvalidConfigError naming each bad field, before anything is created', async () => {
    const error = await createTestDatabase({ prefix: 'Not-Lower', template: 't'.repeat(64) }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).issues.map((issue) => issue.path)).toEqual(['prefix', 'template']);
    await expect(createTestDatabase({ prefix: 'a', name: 'b' })).rejects.toThrow(
      /name: give either a prefix/,
    );
  });
});

describe('the test server', () => {
  test('is the one STRATA_TEST_DATABASE_URL names, as the vitest global setup sets it', () => {
    expect(testServerUrl()).toBe(server.connectionString);
  });

  test('when none is configured: NoTestServerError saying how to configure one, never an empty URL', async () => {
    delete process.env.STRATA_TEST_DATABASE_URL;
    try {
      expect(() => testServerUrl()).toThrow(NoTestServerError);
      const error = await createTestDatabase({ prefix: 'nowhere' }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NoTestServerError);
      expect(error).toMatchObject({ code: 'NO_TEST_SERVER' });
      expect((error as Error).message).toContain('STRATA_TEST_DATABASE_URL');
      expect((error as Error).message).toContain('@strata/local-postgres/vitest-global-setup');
    } finally {
      process.env.STRATA_TEST_DATABASE_URL = server.connectionString;
    }
  });
});

describe('dropDatabase', () => {
  test('drops a template database, which PostgreSQL refuses to drop as it is', async () => {
    const { name } = await createTestDatabase({ prefix: 'a_template' });
    await withAdminConnection((admin) =>
      admin.query(`alter database ${name} with is_template true allow_connections false`),
    );
    await dropDatabase(name);
    expect(await exists(name)).toBe(false);
  });

  test('a database that does not exist is no error', async () => {
    await expect(dropDatabase('strata_test_never_created')).resolves.toBeUndefined();
  });

  test('without WITH (FORCE) (before PostgreSQL 13) it ends the connected sessions first', async () => {
    const database = await createTestDatabase({ prefix: 'old_server' });
    const lingering = await connectAndLinger(database.url);
    try {
      await withAdminConnection((admin) => dropDatabaseOn(admin, database.name, { force: false }));
      expect(await exists(database.name)).toBe(false);
    } finally {
      await lingering.end().catch(() => undefined);
    }
  });
});

test('databaseUrl keeps the server, credentials and parameters, and names another database', () => {
  expect(databaseUrl('postgres://ann:s%40cret@127.0.0.1:5433/postgres?sslmode=disable', 'orders_test')).toBe(
    'postgres://ann:s%40cret@127.0.0.1:5433/orders_test?sslmode=disable',
  );
});
