import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/strata-harness.js';
import { connect, type SqlClient } from '../database/connect.js';
import { fillOrder, fillTables } from './fill-tables.js';
import { readTableCatalog } from './table-catalog.js';

let db: TestDatabase;
let client: SqlClient;
const excluded = { schema: 'public', tables: ['strata_migrations', 'strata_deploys'] };

beforeAll(async () => {
  db = await createTestDatabase('fill');
  client = await connect(db.url, 'fill-test');
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

describe('fillTables', () => {
  test('fills every column type it knows within length, precision, enum, domain, unique and foreign keys', async () => {
    await db.query(`
      create schema shop;
      create type shop.mood as enum ('happy', 'sad');
      create domain shop.positive as integer check (value > 0);
      create table shop.customers (
        id bigint generated always as identity primary key,
        code varchar(3) not null unique,
        initial char(2) not null,
        price numeric(5, 2) not null,
        ratio real, big bigint, small smallint not null,
        uid uuid not null unique, mood shop.mood not null, score shop.positive not null,
        born date not null, seen timestamptz, at timestamp, tod time, span interval,
        flag boolean not null, doc jsonb not null, raw bytea, ip inet, tags text[] not null,
        created_at timestamptz not null default now()
      );
      create table shop.orders (
        id bigint generated always as identity primary key,
        customer_id bigint not null references shop.customers (id),
        parent_id bigint references shop.orders (id),
        total integer not null check (total > 0)
      );
      create table shop.counters (id bigint generated always as identity primary key);
    `);
    const catalog = await readTableCatalog(client, excluded);
    expect(fillOrder(catalog).map((table) => table.display)).toEqual([
      'shop.counters',
      'shop.customers',
      'shop.orders',
    ]);
    const filled = await fillTables(client, catalog, 1_200);
    expect(filled).toEqual([
      { table: 'shop.counters', rows: 1_200, nulledColumns: [], note: null },
      { table: 'shop.customers', rows: 1_200, nulledColumns: [], note: null },
      // A self-reference has no filled parent to point at while the table fills: left NULL.
      { table: 'shop.orders', rows: 1_200, nulledColumns: ['parent_id'], note: null },
    ]);
    expect(
      await db.query(
        `select count(distinct code)::int as codes, count(distinct uid)::int as uids, max(length(code))::int as code_length,
                max(price)::float as max_price, count(distinct mood)::int as moods, min(score)::int as min_score,
                count(*) filter (where created_at is null)::int as no_created
         from shop.customers`,
      ),
    ).toEqual([
      { codes: 1_200, uids: 1_200, code_length: 3, max_price: 999, moods: 2, min_score: 1, no_created: 0 },
    ]);
    // Every order points at an existing customer, spread over all of them.
    expect(
      await db.query(
        'select count(distinct customer_id)::int as customers, count(*) filter (where c.id is null)::int as dangling from shop.orders o left join shop.customers c on c.id = o.customer_id',
      ),
    ).toEqual([{ customers: 1_200, dangling: 0 }]);
  });

  test('plain indexes are rebuilt after the load exactly as they were, also when a fill fails', async () => {
    await db.query(`
      create schema idx;
      create table idx.events (id bigint primary key, kind text not null, at timestamptz, payload jsonb);
      create index events_kind_at_idx on idx.events (kind, at desc) where at is not null;
      create unique index events_lower_kind_key on idx.events (lower(kind), id);
      create table idx.broken (id bigint primary key, state text not null check (state = 'never'));
      create index broken_state_idx on idx.broken (state);
    `);
    const indexes = () =>
      db.query("select indexname, indexdef from pg_indexes where schemaname = 'idx' order by indexname");
    const before = await indexes();
    const catalog = (await readTableCatalog(client, excluded)).filter((table) =>
      table.display.startsWith('idx.'),
    );
    const filled = await fillTables(client, catalog, 500);
    expect(filled.map((table) => [table.table, table.rows])).toEqual([
      ['idx.broken', 0],
      ['idx.events', 500],
    ]);
    expect(await indexes()).toEqual(before);
    expect(await db.query('select count(*)::int as n from idx.events where kind is not null')).toEqual([
      { n: 500 },
    ]);
  });

  test('tables to skip are left empty with their reason', async () => {
    await db.query('create schema skip; create table skip.old (id bigint primary key)');
    const [old] = (await readTableCatalog(client, excluded)).filter((table) => table.display === 'skip.old');
    expect(
      await fillTables(client, old ? [old] : [], 100, {
        skip: new Map([[old?.oid ?? 0, 'not filled: 007_a_contract_drop_old (pending) drops it']]),
      }),
    ).toEqual([
      {
        table: 'skip.old',
        rows: 0,
        nulledColumns: [],
        note: 'not filled: 007_a_contract_drop_old (pending) drops it',
      },
    ]);
  });

  test('a CHECK the values break is retried with optional columns NULL; a table it cannot fill says why', async () => {
    await db.query(`
      create table statuses (id bigint primary key, status text check (status in ('open', 'closed')));
      create table shapes (id bigint primary key, at point not null);
      create table strict_states (id bigint primary key, state text not null check (state in ('on', 'off')));
    `);
    const catalog = (await readTableCatalog(client, excluded)).filter((table) =>
      table.display.startsWith('public.'),
    );
    const filled = await fillTables(client, catalog, 10);
    expect(filled).toEqual([
      {
        table: 'public.shapes',
        rows: 0,
        nulledColumns: [],
        note: 'cannot make values of type point for NOT NULL column at',
      },
      {
        table: 'public.statuses',
        rows: 10,
        nulledColumns: ['status'],
        note: 'could not be filled: new row for relation "statuses" violates check constraint "statuses_status_check" (constraint statuses_status_check); filled with optional columns left NULL',
      },
      {
        table: 'public.strict_states',
        rows: 0,
        nulledColumns: [],
        note: 'could not be filled: new row for relation "strict_states" violates check constraint "strict_states_state_check" (constraint strict_states_state_check)',
      },
    ]);
  });
});
