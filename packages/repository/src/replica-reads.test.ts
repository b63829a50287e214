import {
  startTestCluster,
  type TestCluster,
  withAdminConnection,
} from '@strata/local-postgres/test-database';
import { createPool, type Pool } from '@strata/pool';
import { withTransaction } from '@strata/transactions';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRepository } from './create-repository.js';
import type { Repository } from './repository.js';
import { Order, OrderItem, SCHEMA, User } from './test-support/fixtures.js';

// Reads are told apart by what they see: with the replica's replay paused, a change made on
// the primary is visible there only.
let cluster: TestCluster;
let replicaUrl: string;
let pool: Pool;
let users: Repository<User>;
let orders: Repository<Order>;
let ada: User;

const onReplica = (text: string) =>
  withAdminConnection(async (client) => (await client.query(text)).rows, replicaUrl);

async function whilePaused(work: () => Promise<void>): Promise<void> {
  await onReplica('SELECT pg_wal_replay_pause()');
  try {
    await work();
  } finally {
    await onReplica('SELECT pg_wal_replay_resume()');
  }
}

beforeAll(async () => {
  cluster = await startTestCluster(1);
  replicaUrl = (cluster.replicas[0] as { url: string }).url;
  pool = createPool(
    {
      connectionString: cluster.connectionString,
      replicas: [replicaUrl],
      max: 4,
      topologyCheckPeriod: 100,
      maxReplicaLag: 60_000,
      readYourWritesTimeout: 1_000,
    },
    { environment: {} },
  );
  await pool.ready();
  await pool.query(SCHEMA);
  users = createRepository(pool, User, { filterable: ['email'], sortable: ['name'] });
  orders = createRepository(pool, Order, { filterable: ['user_id'] });
  ada = await users.create({ email: 'ada@example.com', name: 'Ada' });
  const order = await orders.create({ user_id: ada.id, status: 'new', total: '1.00' });
  await createRepository(pool, OrderItem).create({ order_id: order.id, sku: 'a', quantity: 1 });
  // Wait until the replica has all of it.
  for (;;) {
    const rows = await onReplica('SELECT count(*)::int AS n FROM order_items').catch(() => [{ n: 0 }]);
    if (rows[0]?.n === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
});

afterAll(async () => {
  await pool?.close();
  await cluster?.stop();
});

describe('repository reads with `on`', () => {
  test("getById, findOne, list and relations read from a replica with on: 'replica'; the primary by default", async () => {
    await whilePaused(async () => {
      await users.update(ada.id, { name: 'Ada L.' });
      expect((await users.getById(ada.id)).name).toBe('Ada L.');
      expect((await users.getById(ada.id, { on: 'replica' })).name).toBe('Ada');
      expect((await users.findManyByIds([ada.id], { on: 'replica' }))[0]?.name).toBe('Ada');
      expect((await users.findOne({ email: 'ada@example.com' }, { on: 'replica' }))?.name).toBe('Ada');
      expect((await users.list({ on: 'replica' })).items.map((user) => user.name)).toEqual(['Ada']);
      expect((await users.list()).items.map((user) => user.name)).toEqual(['Ada L.']);

      await createRepository(pool, OrderItem).create({
        order_id: (await orders.findOne({ user_id: ada.id }))?.id as string,
        sku: 'b',
        quantity: 2,
      });
      const [order] = (await orders.list({ where: { user_id: ada.id }, with: 'items', on: 'replica' })).items;
      expect(order?.items?.map((item) => item.sku)).toEqual(['a']);
      const fresh = await orders.getById(order?.id as string, { with: 'items' });
      expect(fresh.items?.map((item) => item.sku).sort()).toEqual(['a', 'b']);

      // read-your-writes: the replica has not replayed the process's writes, so the primary answers.
      expect((await users.getById(ada.id, { on: 'read-your-writes' })).name).toBe('Ada L.');
    });
  });

  test("a repository's `reads` default, overridden per call; a session's consistency when neither says", async () => {
    const fromReplicas = createRepository(pool, User, { reads: 'replica' });
    await whilePaused(async () => {
      await users.update(ada.id, { nickname: 'Countess' });
      expect((await fromReplicas.getById(ada.id)).nickname).toBeNull();
      expect((await fromReplicas.getById(ada.id, { on: 'primary' })).nickname).toBe('Countess');
      const viaSession = await pool.session({ consistency: 'replica' }).run(() => users.getById(ada.id));
      expect(viaSession.nickname).toBeNull();
      const readYourWrites = pool.session();
      const own = await readYourWrites.run(async () => {
        await users.update(ada.id, { nickname: 'Lovelace' });
        return users.getById(ada.id);
      });
      expect(own.nickname).toBe('Lovelace');
    });
  });

  test('inside a transaction, replica reads run on its connection and see its writes', async () => {
    const seen = await withTransaction(pool, async () => {
      const grace = await users.create({ email: 'grace@example.com', name: 'Grace' });
      return users.findById(grace.id, { on: 'replica' });
    });
    expect(seen?.email).toBe('grace@example.com');
  });
});
