import type {} from '@strata/local-postgres/vitest-global-setup';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { createTemplateDatabase } from './template-database.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

const serverUrl = inject('strataDatabaseUrl');

async function query<T>(connectionString: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('template and per-worker databases', () => {
  let migrations = 0;
  beforeAll(async () => {
    await createTemplateDatabase({
      serverUrl,
      name: 'strata_template_spec',
      async migrate(url) {
        migrations += 1;
        await query(
          url,
          'create table users (id bigint generated always as identity primary key, email text not null unique)',
        );
        await query(url, "insert into users (email) values ('seed@example.com')");
      },
    });
  });
  afterAll(async () => {
    await query(serverUrl, 'alter database strata_template_spec with is_template false');
    await query(serverUrl, 'drop database if exists strata_template_spec with (force)');
  });

  test('migrations run once; every clone starts with the migrated schema and seed rows', async () => {
    const [a, b] = await Promise.all([
      createTestDatabase({ serverUrl, template: 'strata_template_spec' }),
      createTestDatabase({ serverUrl, template: 'strata_template_spec' }),
    ]);
    try {
      expect(migrations).toBe(1);
      expect(await query(a.connectionString, 'select email from users')).toEqual([
        { email: 'seed@example.com' },
      ]);
      // Writes in one clone are invisible to the other: parallel workers never share rows.
      await query(a.connectionString, "insert into users (email) values ('only-a@example.com')");
      expect(await query(b.connectionString, 'select count(*)::int as n from users')).toEqual([{ n: 1 }]);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  test('the template refuses connections, so a stray session cannot block cloning', async () => {
    const template = new URL(serverUrl);
    template.pathname = '/strata_template_spec';
    await expect(query(template.toString(), 'select 1')).rejects.toThrow(
      /not currently accepting connections/,
    );
  });

  test('drop() removes the database even with sessions still connected', async () => {
    const database: TestDatabase = await createTestDatabase({ serverUrl });
    const lingering = new pg.Client({ connectionString: database.connectionString });
    await lingering.connect();
    lingering.on('error', () => {});
    await database.drop();
    expect(await query(serverUrl, 'select 1 from pg_database where datname = $1', [database.name])).toEqual(
      [],
    );
  });

  test('names are checked before they reach SQL', async () => {
    await expect(createTestDatabase({ serverUrl, name: 'x; drop database postgres' })).rejects.toThrow(
      /Invalid test database name/,
    );
  });
});
