import { createTestDatabase, type TestDatabase } from '@strata/local-postgres/test-database';
import { createPool, type Pool } from '@strata/pool';
import { Model, type RelationMappings } from 'objection';
import { BaseModel } from '../base-model.js';

export class User extends BaseModel {
  static override tableName = 'users';
  declare id: string;
  declare email: string;
  declare name: string;
  declare nickname: string | null;
  declare version: number;
}

export class OrderItem extends BaseModel {
  static override tableName = 'order_items';
  declare id: string;
  declare order_id: string;
  declare sku: string;
  declare quantity: number;
}

export class Order extends BaseModel {
  static override tableName = 'orders';
  declare id: string;
  declare user_id: string;
  declare status: string;
  declare total: string;
  declare due_on: Date | null;
  declare items?: OrderItem[];
  declare customer?: User;

  static override get relationMappings(): RelationMappings {
    return {
      items: {
        relation: Model.HasManyRelation,
        modelClass: OrderItem,
        join: { from: 'orders.id', to: 'order_items.order_id' },
      },
      customer: {
        relation: Model.BelongsToOneRelation,
        modelClass: User,
        join: { from: 'orders.user_id', to: 'users.id' },
      },
    };
  }
}

/** The five column types of the bulk-insert benchmark, plus the base model's columns. */
export class Measurement extends BaseModel {
  static override tableName = 'measurements';
  declare id: string;
  declare reading: number;
  declare label: string;
  declare note: string | null;
  declare amount: string;
  declare taken_at: Date;
}

export class Document extends BaseModel {
  static override tableName = 'documents';
  declare id: string;
  declare title: string;
  declare body: unknown;
  declare tags: string[] | null;
}

// The application's schema: plain tables and constraints, no triggers (timestamps come from code).
export const SCHEMA = `
create table users (
  id bigserial primary key,
  email text not null constraint users_email_key unique,
  name text not null,
  nickname text,
  version integer not null default 1,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create table orders (
  id bigserial primary key,
  user_id bigint not null references users (id),
  status text not null,
  total numeric(12, 2) not null default 0,
  due_on date,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index orders_status_id on orders (status, id);
create table order_items (
  id bigserial primary key,
  order_id bigint not null references orders (id),
  sku text not null,
  quantity integer not null check (quantity > 0),
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create index order_items_order_id on order_items (order_id);
create table measurements (
  id bigserial primary key,
  reading integer not null,
  label text not null,
  note text,
  amount numeric not null,
  taken_at timestamptz not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);
create table documents (
  id uuid primary key default gen_random_uuid(),
  title text not null,
  body jsonb,
  tags text[],
  created_at timestamptz not null,
  updated_at timestamptz not null
);
`;

export interface TestPool {
  database: TestDatabase;
  pool: Pool;
  close(): Promise<void>;
}

/** A database of the test file's own with the schema above, and a Strata pool on it. */
export async function createTestPool(purpose: string): Promise<TestPool> {
  const database = await createTestDatabase({ prefix: `repository_${purpose}` });
  // No pings before hand-out and no background probes: query-count assertions count only real work.
  const pool = createPool({
    connectionString: database.url,
    max: 4,
    min: 1,
    pingAfterIdle: 0,
    healthCheckPeriod: 600_000,
  });
  await pool.ready();
  await pool.query(SCHEMA);
  return {
    database,
    pool,
    async close() {
      await pool.close();
      await database.drop();
    },
  };
}
