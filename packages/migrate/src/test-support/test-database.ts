// Test support (not part of the package): a fresh database per test on the shared server,
// and a temporary migrations directory.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase as createServerDatabase } from '@strata/local-postgres/test-database';
import knexFactory, { type Knex } from 'knex';
import pg from 'pg';

export interface TestDatabase {
  name: string;
  connectionString: string;
  /** A Knex instance on the database; ended by `drop`. */
  knex: Knex;
  /** Runs parameterised SQL on a small pg pool of its own. */
  query<T = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<T[]>;
  /** A separate client, for holding locks or sessions; ended by `drop`. */
  client(): Promise<pg.Client>;
  drop(): Promise<void>;
}

/** `strata_test_migrate_<random>` on the test server, with a Knex instance and a pg pool on it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const database = await createServerDatabase({ prefix: 'migrate' });
  const { name, url: connectionString } = database;
  const knex = knexFactory({ client: 'pg', connection: connectionString, pool: { min: 0, max: 6 } });
  const pool = new pg.Pool({ connectionString, max: 4 });
  // drop() terminates what is still connected; a client that was still closing then reports
  // it, and an EventEmitter 'error' without a listener would fail the run.
  pool.on('error', () => {});
  const clients: pg.Client[] = [];
  return {
    name,
    connectionString,
    knex,
    async query<T>(sql: string, values?: unknown[]) {
      return (await pool.query(sql, values)).rows as T[];
    },
    async client() {
      const client = new pg.Client({ connectionString });
      await client.connect();
      clients.push(client);
      return client;
    },
    async drop() {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      await knex.destroy();
      await pool.end();
      await database.drop();
    },
  };
}

export interface MigrationsDirectory {
  path: string;
  write(fileName: string, content: string): Promise<void>;
  remove(fileName: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createMigrationsDirectory(): Promise<MigrationsDirectory> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'strata-migrate-'));
  return {
    path: directory,
    write: (fileName, content) => writeFile(path.join(directory, fileName), content),
    remove: (fileName) => rm(path.join(directory, fileName)),
    cleanup: () => rm(directory, { recursive: true, force: true }),
  };
}

/**
 * The user-visible shape of a schema: tables, columns, indexes and constraints, without the
 * migrator's own tables. Two equal snapshots mean an identical schema.
 */
export async function schemaSnapshot(db: TestDatabase): Promise<unknown> {
  const skip = ['strata_migrations', 'strata_deploys'];
  const columns = await db.query(
    `select table_name, column_name, data_type, is_nullable, column_default, ordinal_position
     from information_schema.columns where table_schema = 'public' and table_name <> all($1)
     order by table_name, ordinal_position`,
    [skip],
  );
  const indexes = await db.query(
    `select tablename, indexname, indexdef from pg_indexes
     where schemaname = 'public' and tablename <> all($1) order by indexname`,
    [skip],
  );
  const constraints = await db.query(
    `select conrelid::regclass::text as table_name, conname, contype, convalidated, pg_get_constraintdef(oid) as definition
     from pg_constraint where connamespace = 'public'::regnamespace and conrelid::regclass::text <> all($1)
     order by conname`,
    [skip],
  );
  const types = await db.query(
    `select t.typname, array_agg(e.enumlabel order by e.enumsortorder) as labels
     from pg_type t left join pg_enum e on e.enumtypid = t.oid
     where t.typnamespace = 'public'::regnamespace and t.typtype = 'e' group by t.typname order by t.typname`,
  );
  return { columns, indexes, constraints, types };
}

/** The columns of `table`, in order. */
export async function columnsOf(db: TestDatabase, table: string): Promise<string[]> {
  const rows = await db.query<{ column_name: string }>(
    'select column_name from information_schema.columns where table_name = $1 order by ordinal_position',
    [table],
  );
  return rows.map((row) => row.column_name);
}
