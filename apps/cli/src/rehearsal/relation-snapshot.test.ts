import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/strata-harness.js';
import { connect, type SqlClient } from '../database/connect.js';
import { rewrittenTables, snapshotRelations } from './relation-snapshot.js';

let db: TestDatabase;
let client: SqlClient;
const excluded = { schema: 'public', tables: ['strata_migrations'] };

beforeAll(async () => {
  db = await createTestDatabase('snapshot');
  client = await connect(db.url, 'snapshot-test');
  await db.query(`
    create table strata_migrations (id bigint primary key);
    create table a (id bigint primary key, n int not null);
    create table b (id bigint primary key, n int not null);
    create table c (id bigint primary key, n int not null);
    insert into a select g, g from generate_series(1, 300) g;
    insert into b select g, g from generate_series(1, 300) g;
    insert into c select g, g from generate_series(1, 300) g;
  `);
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('snapshotRelations / rewrittenTables', () => {
  test('rows updated or inserted count for their table; a new storage file is a full rewrite; new and untouched tables are left out', async () => {
    const before = await snapshotRelations(client, excluded);
    expect([...before.relations.values()].map((relation) => relation.name).sort()).toEqual([
      'public.a',
      'public.a_pkey',
      'public.b',
      'public.b_pkey',
      'public.c',
      'public.c_pkey',
    ]);
    await db.query(`
      update a set n = n + 1 where id <= 120;
      insert into a values (1000, 1);
      alter table b alter column n type bigint;
      create table d (id bigint);
      insert into d values (1);
      insert into strata_migrations values (1);
    `);
    const after = await snapshotRelations(client, excluded);
    expect(await rewrittenTables(client, before, after)).toEqual([
      { table: 'public.a', rows: 121, fullRewrite: false },
      { table: 'public.b', rows: 300, fullRewrite: true },
    ]);
  });
});
