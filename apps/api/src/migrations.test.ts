import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@strata/local-postgres/test-database';
import { createMigrator, lintMigrations } from '@strata/migrate';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MIGRATIONS_DIRECTORY } from './app-config.js';

const files = readdirSync(MIGRATIONS_DIRECTORY)
  .filter((file) => file.endsWith('.sql'))
  .sort()
  .map((file) => ({ file, sql: readFileSync(path.join(MIGRATIONS_DIRECTORY, file), 'utf8') }));

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ prefix: 'api_migrations' });
});

afterAll(async () => {
  if (database) await database.drop();
});

describe('the API migrations', () => {
  test('follow {seq}_{scope}_{phase}_{description}.sql and pass the linter without a finding', async () => {
    expect(files.map((entry) => entry.file)).toEqual([
      '001_users_expand_create_users.sql',
      '002_orders_expand_create_orders.sql',
      '003_orders_expand_create_order_items.sql',
    ]);
    expect(await lintMigrations(files, { existingTables: [] })).toEqual([]);
    // Also against a database that already has every table the files did not create.
    expect(await lintMigrations(files)).toEqual([]);
  });

  test('apply, roll back completely and apply again; every foreign key has an index that leads with it', async () => {
    const url = database.url;
    const migrator = createMigrator({ directory: MIGRATIONS_DIRECTORY, connectionString: url });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await migrator.up()).applied).toHaveLength(3);
      expect((await migrator.down({ to: 0 })).rolledBack.map((entry) => entry.name)).toEqual([
        '003_orders_expand_create_order_items',
        '002_orders_expand_create_orders',
        '001_users_expand_create_users',
      ]);
      const { rows: left } = await client.query(
        "select tablename from pg_tables where schemaname = 'public' and tablename in ('users', 'orders', 'order_items')",
      );
      expect(left).toEqual([]);
      expect((await migrator.up()).applied).toHaveLength(3);

      // Foreign keys whose columns are not the leading columns of some index.
      const unindexedForeignKeys = async () =>
        (
          await client.query<{ conname: string }>(`
            select c.conname from pg_constraint c
            where c.contype = 'f' and c.connamespace = 'public'::regnamespace
              and not exists (
                select 1 from pg_index i
                where i.indrelid = c.conrelid
                  and (i.indkey::int2[])[0:cardinality(c.conkey) - 1]::text = c.conkey::text
              )`)
        ).rows.map((row) => row.conname);
      expect(await unindexedForeignKeys()).toEqual([]);
      // The check itself finds one that is missing.
      await client.query(
        'create table probe (user_id bigint constraint probe_user_fkey references users (id))',
      );
      expect(await unindexedForeignKeys()).toEqual(['probe_user_fkey']);
      await client.query('drop table probe');
      const { rows: triggers } = await client.query(
        "select tgname from pg_trigger t join pg_class r on r.oid = t.tgrelid where not t.tgisinternal and r.relnamespace = 'public'::regnamespace",
      );
      expect(triggers).toEqual([]);
    } finally {
      await client.end();
      await migrator.close();
    }
  });
});
