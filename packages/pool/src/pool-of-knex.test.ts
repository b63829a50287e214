import knex from 'knex';
import { afterAll, expect, test } from 'vitest';
import { createPool } from './create-pool.js';
import { poolOfKnex } from './pool-of-knex.js';
import { serverUrl } from './test-support/test-database.js';

const pool = createPool({ connectionString: serverUrl(), max: 1, min: 0 }, { environment: {} });
afterAll(() => pool.close());

test('poolOfKnex maps pool.knex back to its pool, and nothing else', () => {
  expect(poolOfKnex(pool.knex)).toBe(pool);
  const other = knex({ client: 'pg' });
  expect(poolOfKnex(other)).toBeUndefined();
});
