import { databaseUrl, startTestPgBouncer } from '@strata/local-postgres/test-database';
import { createPool, type Pool } from '@strata/pool';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRepository } from './create-repository.js';
import { createTestPool, type TestPool, User } from './test-support/fixtures.js';

// Real PgBouncers in front of the test server; skipped without PgBouncer unless CI=true.
const transactionMode = await startTestPgBouncer({
  poolMode: 'transaction',
  settings: { default_pool_size: 4 },
});
const sessionMode = await startTestPgBouncer({ poolMode: 'session' });
const skip = transactionMode === undefined || sessionMode === undefined;

let db: TestPool;
const ids: string[] = [];
beforeAll(async () => {
  if (skip) return;
  db = await createTestPool('pgbouncer');
  const users = createRepository(db.pool, User);
  ids.push(
    ...(await users.createMany(
      Array.from({ length: 40 }, (_, i) => ({ email: `user${i}@example.com`, name: `user ${i}` })),
    )),
  );
});
afterAll(async () => {
  await db?.close();
  await Promise.all([transactionMode?.stop(), sessionMode?.stop()]);
});

describe.skipIf(skip).each(['transaction', 'session'] as const)('behind PgBouncer in %s mode', (mode) => {
  let pool: Pool;
  beforeAll(() => {
    const bouncer = mode === 'transaction' ? transactionMode : sessionMode;
    pool = createPool(
      { connectionString: databaseUrl(bouncer?.url as string, db.database.name), max: 16 },
      { environment: {} },
    );
    pool.on('pgbouncer', () => {});
  });
  afterAll(() => pool?.close());

  test('concurrent getById, getManyByIds and findOne with default settings have no errors', async () => {
    const users = createRepository(pool, User, { filterable: ['email'] });
    const errors: unknown[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, caller) => {
        for (let i = 0; i < 30; i++) {
          const index = (caller * 30 + i) % ids.length;
          const read =
            i % 3 === 0
              ? users.getManyByIds([ids[index] as string, ids[(index + 1) % ids.length] as string])
              : i % 3 === 1
                ? users.findOne({ email: `user${index}@example.com` })
                : users.getById(ids[index] as string);
          await read.catch((error: unknown) => errors.push(error));
        }
      }),
    );
    expect(errors).toEqual([]);
    expect((await users.getById(ids[0] as string)).email).toBe('user0@example.com');
  });
});
