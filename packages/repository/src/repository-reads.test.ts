import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepository } from './create-repository.js';
import { Repository } from './repository.js';
import { MultipleRowsFoundError, NotFoundError, UnknownRelationError } from './repository-errors.js';
import { countStatements } from './test-support/count-statements.js';
import { createTestPool, Order, OrderItem, type TestPool, User } from './test-support/fixtures.js';

let db: TestPool;
let users: Repository<User>;
let orders: Repository<Order>;
const userIds: string[] = [];
const orderIds: string[] = [];

// The reference pattern's repository, written the way a team would.
class UserRepository extends Repository<User> {
  constructor(pool: TestPool['pool']) {
    super(pool, User, { filterable: ['email', 'name'] });
  }

  getByEmail(email: string): Promise<User | undefined> {
    return this.findOne({ email });
  }
}

beforeAll(async () => {
  db = await createTestPool('reads');
  users = new UserRepository(db.pool);
  orders = createRepository(db.pool, Order, { filterable: ['status', 'user_id'], sortable: ['created_at'] });
  for (const name of ['ada', 'grace', 'edsger']) {
    userIds.push((await users.create({ email: `${name}@example.com`, name })).id);
  }
  // 50 orders with 3 items each.
  const orderRows = Array.from({ length: 50 }, (_, index) => ({
    user_id: userIds[index % 3] as string,
    status: index % 2 === 0 ? 'paid' : 'new',
    total: '10.00',
  }));
  orderIds.push(...(await orders.createMany(orderRows)));
  const items = createRepository(db.pool, OrderItem);
  await items.createMany(
    orderIds.flatMap((orderId) =>
      [1, 2, 3].map((n) => ({ order_id: orderId, sku: `sku-${n}`, quantity: n })),
    ),
  );
});

afterAll(async () => {
  await db?.close();
});

describe('getById / findById', () => {
  it('returns a model instance hydrated from the row', async () => {
    const user = await users.getById(userIds[0] as string);
    expect(user).toBeInstanceOf(User);
    expect(user).toMatchObject({ id: userIds[0], email: 'ada@example.com', name: 'ada', version: 1 });
    expect(user.created_at).toBeInstanceOf(Date);
  });

  it('getById throws NotFoundError naming the entity and the id', async () => {
    const error = await users.getById('999999').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ code: 'NOT_FOUND', entity: 'User', id: '999999', ids: ['999999'] });
    expect((error as Error).message).toBe('User 999999 was not found.');
  });

  it('findById returns undefined for a missing id', async () => {
    expect(await users.findById('999999')).toBeUndefined();
  });

  it('accepts numeric ids for int8 keys', async () => {
    expect((await users.getById(Number(userIds[1]) as unknown as string)).email).toBe('grace@example.com');
  });

  it('loads relations named in `with`', async () => {
    const order = await orders.getById(orderIds[0] as string, { with: ['items', 'customer'] });
    expect(order.items?.map((item) => item.sku).sort()).toEqual(['sku-1', 'sku-2', 'sku-3']);
    expect(order.items?.[0]).toBeInstanceOf(OrderItem);
    expect(order.customer?.email).toBe('ada@example.com');
  });

  it('rejects relations the model does not define, listing those it does', async () => {
    await expect(orders.getById(orderIds[0] as string, { with: 'lines' })).rejects.toThrow(
      UnknownRelationError,
    );
    await expect(orders.list({ with: 'items.supplier' })).rejects.toThrow(
      'OrderItem has no relation "supplier" (its relationMappings define: none).',
    );
    await expect(orders.findById(orderIds[0] as string, { with: 'lines' })).rejects.toThrow(
      'Order has no relation "lines" (its relationMappings define: items, customer).',
    );
  });
});

describe('getManyByIds', () => {
  it('returns entities in the order asked, repeats included', async () => {
    const asked = [userIds[2], userIds[0], userIds[1], userIds[0]] as string[];
    const found = await users.getManyByIds(asked);
    expect(found.map((user) => user.id)).toEqual(asked);
  });

  it('reports every missing id in one NotFoundError', async () => {
    const error = await users
      .getManyByIds([userIds[0] as string, '424242', userIds[1] as string, '434343'])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ entity: 'User', ids: ['424242', '434343'] });
    expect((error as Error).message).toBe('2 User ids were not found: 424242, 434343.');
  });

  it('findManyByIds leaves undefined where an id is missing', async () => {
    const found = await users.findManyByIds([userIds[1] as string, '424242']);
    expect(found.map((user) => user?.email)).toEqual(['grace@example.com', undefined]);
  });

  it('returns [] for no ids without querying', async () => {
    expect(await users.getManyByIds([])).toEqual([]);
  });
});

describe('findOne', () => {
  it('returns the single match (the reference getByEmail) or undefined', async () => {
    const repository = users as UserRepository;
    expect((await repository.getByEmail('grace@example.com'))?.name).toBe('grace');
    expect(await repository.getByEmail('nobody@example.com')).toBeUndefined();
  });

  it('throws MultipleRowsFoundError when the filter matches several rows', async () => {
    await expect(orders.findOne({ status: 'paid' })).rejects.toThrow(MultipleRowsFoundError);
  });
});

describe('batched relation loading', () => {
  it('loading 50 orders with their items costs 2 queries, where a loop costs 51', async () => {
    await orders.list({ limit: 1 }); // the table's catalog description is read once, before counting

    const naive = await countStatements(async () => {
      const { items } = await orders.list({ limit: 50 });
      for (const order of items) await OrderItem.query(db.pool.knex).where('order_id', order.id);
    });
    expect(naive).toHaveLength(51);

    let loaded: Order[] = [];
    const batched = await countStatements(async () => {
      loaded = (await orders.list({ limit: 50, with: 'items' })).items;
    });
    expect(loaded).toHaveLength(50);
    expect(loaded.every((order) => order.items?.length === 3)).toBe(true);
    expect(batched).toHaveLength(2);
    expect(batched[1]).toMatch(/from "order_items" where "order_items"."order_id" in/);
  });

  it('getManyByIds with a nested relation costs one query per level', async () => {
    const statements = await countStatements(() =>
      orders.getManyByIds(orderIds.slice(0, 20), { with: 'items' }),
    );
    expect(statements).toHaveLength(2);
  });
});
