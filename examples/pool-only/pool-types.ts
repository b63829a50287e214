// Compiled with `strict` and `skipLibCheck: false`, under node16 and bundler resolution, in a
// project that has neither knex nor @types/pg: the pool's published types must stand alone.
import {
  createPool,
  type KnexNotInstalled,
  KnexNotInstalledError,
  type Pool,
  type PoolClient,
  PoolTimeoutError,
  type QueryResult,
} from '@strata/pool';

export async function countUsers(pool: Pool): Promise<number> {
  const result: QueryResult<{ count: string }> = await pool.query<{ count: string }>(
    'select count(*) as count from users where active = $1',
    [true],
  );
  return Number(result.rows[0]?.count ?? 0);
}

export async function inOneConnection(pool: Pool): Promise<void> {
  const client: PoolClient = await pool.connect();
  try {
    await client.query('select 1');
  } finally {
    client.release();
  }
}

export function configure(): Pool {
  const pool = createPool({ connectionString: 'postgres://app@localhost/app', max: 5 });
  pool.on('remove', ({ reason }) => console.log(reason));
  // Without knex installed, pool.knex is a type nothing can be called on...
  const knex: KnexNotInstalled = pool.knex;
  // @ts-expect-error ...so a Knex query does not compile: install knex to use pool.knex.
  knex('users');
  return pool;
}

export const errors = [KnexNotInstalledError, PoolTimeoutError] as const;
