import {
  assertNoNPlusOne,
  captureQueries,
  defineFactory,
  expectQueries,
  findMissingIndexes,
} from '@strata/testing';
import { expect, test } from '@strata/testing/vitest';
import { createUser, transfer, usersWithTransfers } from './users.js';

const userFactory = (pool) =>
  defineFactory({
    build: ({ sequence }) => ({
      email: `user${sequence}@example.com`,
      name: `User ${sequence}`,
      balanceCents: 1_000,
    }),
    create: (attributes) => createUser(pool, attributes),
  });

test('a transfer moves money and records it', async ({ db }) => {
  const [ann, bo] = await userFactory(db).createList(2);
  await transfer(db, { fromUserId: ann.id, toUserId: bo.id, amountCents: 300 });
  const { rows } = await db.query('select email, balance_cents from users order by id');
  expect(rows).toEqual([
    { email: 'user1@example.com', balance_cents: '700' },
    { email: 'user2@example.com', balance_cents: '1300' },
  ]);
});

test('every test starts from the empty migrated schema', async ({ db }) => {
  const { rows } = await db.query('select count(*)::int as n from users');
  expect(rows[0].n).toBe(0);
});

test('a failed transfer inside the test rolls back to its savepoint only', async ({ db }) => {
  const [ann, bo] = await userFactory(db).createList(2);
  await expect(transfer(db, { fromUserId: ann.id, toUserId: bo.id, amountCents: 5_000 })).rejects.toThrow(
    'insufficient funds',
  );
  const { rows } = await db.query('select count(*)::int as n from users');
  expect(rows[0].n).toBe(2);
});

test('loading users with their transfers takes two queries and uses indexes', async ({ db }) => {
  const users = await userFactory(db).createList(5);
  await transfer(db, { fromUserId: users[0].id, toUserId: users[1].id, amountCents: 10 });
  await expectQueries(() => usersWithTransfers(db)).toBe(2);
  await assertNoNPlusOne(() => usersWithTransfers(db));
  const { queries } = await captureQueries(() => usersWithTransfers(db));
  expect(await findMissingIndexes(db, queries)).toEqual([]);
});
