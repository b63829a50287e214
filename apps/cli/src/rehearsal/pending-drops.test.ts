import type { MigrationFile } from '@strata/migrate';
import { parseSqlMigration } from '@strata/migrate';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/strata-harness.js';
import { connect, type SqlClient } from '../database/connect.js';
import { tablesDroppedByPending } from './pending-drops.js';
import { readTableCatalog } from './table-catalog.js';

let db: TestDatabase;
let client: SqlClient;
const excluded = { schema: 'public', tables: ['strata_migrations', 'strata_deploys'] };

beforeAll(async () => {
  db = await createTestDatabase('pending_drops');
  client = await connect(db.url, 'pending-drops-test');
  await db.query(`
    create table audit (id bigint primary key);
    create table owners (id bigint primary key);
    create table pets (id bigint primary key, owner_id bigint not null references owners (id));
    create table kept (id bigint primary key);
  `);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

async function pending(name: string, up: string): Promise<MigrationFile> {
  return { name, sql: await parseSqlMigration(`${name}.sql`, `-- migrate:up\n${up}\n`) } as MigrationFile;
}

describe('tablesDroppedByPending', () => {
  test("skips the tables pending migrations drop, except a parent a filled table's foreign key needs", async () => {
    const catalog = await readTableCatalog(client, excluded);
    const oid = (name: string) => catalog.find((table) => table.display === name)?.oid;
    const skip = await tablesDroppedByPending(
      client,
      [
        await pending('007_a_contract_drop_audit', 'DROP TABLE audit;'),
        await pending('008_b_contract_drop_owners', 'DROP TABLE owners CASCADE;'),
      ],
      catalog,
    );
    expect([...skip.entries()]).toEqual([
      [oid('public.audit'), 'not filled: 007_a_contract_drop_audit (pending) drops it'],
    ]);
  });

  test('a dropped parent whose children are dropped too is skipped with them', async () => {
    const catalog = await readTableCatalog(client, excluded);
    const skip = await tablesDroppedByPending(
      client,
      [await pending('009_b_contract_drop_pets_and_owners', 'DROP TABLE pets;\nDROP TABLE owners;')],
      catalog,
    );
    expect([...skip.keys()].map((key) => catalog.find((table) => table.oid === key)?.display).sort()).toEqual(
      ['public.owners', 'public.pets'],
    );
  });
});
