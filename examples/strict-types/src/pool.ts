import { createPool, type Pool, type PoolKnex, type QueryResult } from '@strata/pool';
import type { Knex } from 'knex';
import { Model } from 'objection';
import { expectTypeOf } from 'vitest';

class Person extends Model {
  static override tableName = 'people';
  declare id: number;
  declare name: string;
}

export async function people(): Promise<string[]> {
  const pool: Pool = createPool({
    connectionString: 'postgres://app@localhost/app',
    knex: { asyncStackTraces: true },
  });
  // With knex installed, pool.knex is Knex's own type.
  expectTypeOf(pool.knex).toEqualTypeOf<Knex>();
  expectTypeOf<PoolKnex>().toEqualTypeOf<Knex>();
  const rows: { name: string }[] = await pool.knex('people').select('name');
  const bound = await pool.bindModel(Person).query().where('name', 'like', 'A%');
  const raw: QueryResult<{ name: string }> = await pool.query('select name from people');
  return [...rows, ...bound, ...raw.rows].map((row) => row.name);
}
