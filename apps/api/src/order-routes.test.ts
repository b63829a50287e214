import { expectQueries } from '@strata/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OrderRepository } from './order-repository.js';
import type { OrderResponse } from './order-schemas.js';
import { expectProblem, http } from './test-support/http.js';
import { startTestServer, type TestServer } from './test-support/test-server.js';
import type { UserResponse } from './user-schemas.js';

type OrderPage = { items: OrderResponse[]; nextCursor: string | null };
type LightResponse = { json(): OrderPage };

let api: TestServer;
const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
  http(api.url, method, path, options);

let userCount = 0;
async function createUser(): Promise<UserResponse> {
  userCount += 1;
  const response = await call('POST', '/users', {
    json: { email: `buyer${userCount}@example.com`, name: 'Buyer' },
  });
  expect(response.status, response.text).toBe(201);
  return response.body as UserResponse;
}

async function placeOrder(
  userId: string,
  items: { productId: string; qty: number }[],
): Promise<OrderResponse> {
  const response = await call('POST', '/orders', { json: { userId, items } });
  expect(response.status, response.text).toBe(201);
  return response.body as OrderResponse;
}

beforeAll(async () => {
  // No ping before handing out a connection that idled: the query counts below stay exact.
  api = await startTestServer('api_orders', { pool: { pingAfterIdle: 0 } });
});

afterAll(async () => {
  await api?.close();
});

describe('POST /orders', () => {
  test('places an order with its items: 201, Location, the items in order', async () => {
    const user = await createUser();
    const response = await call('POST', '/orders', {
      json: {
        userId: user.id,
        items: [
          { productId: '30', qty: 2 },
          { productId: '10', qty: 1 },
        ],
      },
    });
    expect(response.status, response.text).toBe(201);
    const order = response.body as OrderResponse;
    expect(order).toMatchObject({
      userId: user.id,
      status: 'placed',
      items: [
        { productId: '30', qty: 2 },
        { productId: '10', qty: 1 },
      ],
    });
    expect(response.headers.get('location')).toBe(`/orders/${order.id}`);
    expect((await call('GET', `/orders/${order.id}`)).body).toEqual(order);
  });

  test('an unknown user is a 422 naming userId, and no order is left behind', async () => {
    const response = await call('POST', '/orders', {
      json: { userId: '424242', items: [{ productId: '1', qty: 1 }] },
    });
    const problem = expectProblem(response, 422, 'unknown-reference');
    expect(problem.errors).toEqual([
      { in: 'body', field: 'userId', detail: 'refers to nothing that exists' },
    ]);
    const { rows } = await api.server.pool.query<{ n: number }>(
      'select count(*)::int as n from orders where user_id = $1',
      ['424242'],
    );
    expect(rows[0]?.n).toBe(0);
  });

  test('names every invalid item field, including a product given twice', async () => {
    const response = await call('POST', '/orders', {
      json: {
        userId: 'me',
        items: [
          { productId: '5', qty: 0 },
          { productId: '5', qty: 1 },
          { productId: '6', qty: 20_000, price: 3 },
        ],
      },
    });
    const problem = expectProblem(response, 400, 'validation-error');
    expect(problem.errors?.map((error) => error.field)).toEqual([
      'userId',
      'items[0].qty',
      'items[2].qty',
      'items[2].price',
      'items[1].productId',
    ]);
  });

  test('an order needs at least one item', async () => {
    const user = await createUser();
    const response = await call('POST', '/orders', { json: { userId: user.id, items: [] } });
    expect(expectProblem(response, 400, 'validation-error').errors).toEqual([
      { in: 'body', field: 'items', detail: 'an order needs at least one item' },
    ]);
  });
});

describe('createWithItems (the repository behind POST /orders)', () => {
  test('is atomic: when an item fails, the order is rolled back with it', async () => {
    const user = await createUser();
    const repository = new OrderRepository(api.server.pool);
    // The same product twice breaks order_items' unique constraint after the order row was inserted.
    await expect(
      repository.createWithItems({ user_id: user.id }, [
        { productId: '7', qty: 1 },
        { productId: '7', qty: 2 },
      ]),
    ).rejects.toMatchObject({ code: 'UNIQUE_VIOLATION' });
    const { rows } = await api.server.pool.query<{ n: number }>(
      'select count(*)::int as n from orders where user_id = $1',
      [user.id],
    );
    expect(rows[0]?.n).toBe(0);
  });
});

describe('GET /orders/:id', () => {
  test('an unknown order is a 404; a malformed id a 400', async () => {
    expect(expectProblem(await call('GET', '/orders/123456'), 404, 'not-found').detail).toBe(
      'Order 123456 was not found.',
    );
    expectProblem(await call('GET', '/orders/one'), 400, 'validation-error');
  });
});

describe('GET /users/:id/orders', () => {
  test('pages through the orders newest first, each with its items', async () => {
    const user = await createUser();
    const placed: OrderResponse[] = [];
    for (let index = 1; index <= 5; index++) {
      placed.push(await placeOrder(user.id, [{ productId: String(index), qty: index }]));
    }
    const seen: OrderResponse[] = [];
    let after: string | null = null;
    do {
      const path: string = `/users/${user.id}/orders?limit=2${after ? `&after=${encodeURIComponent(after)}` : ''}`;
      const response = await call('GET', path);
      expect(response.status, response.text).toBe(200);
      const page = response.body as OrderPage;
      seen.push(...page.items);
      after = page.nextCursor;
    } while (after !== null);
    expect(seen).toEqual([...placed].reverse());
  });

  test('another user sees none of them; an unknown user is a 404', async () => {
    const other = await createUser();
    expect((await call('GET', `/users/${other.id}/orders`)).body).toEqual({ items: [], nextCursor: null });
    expectProblem(await call('GET', '/users/777777/orders'), 404, 'not-found');
  });

  test('loads orders with their items in a constant number of queries (no N+1)', async () => {
    const few = await createUser();
    await placeOrder(few.id, [{ productId: '1', qty: 1 }]);
    const many = await createUser();
    for (let index = 0; index < 12; index++) {
      await placeOrder(many.id, [
        { productId: '1', qty: 1 },
        { productId: '2', qty: 2 },
        { productId: '3', qty: 3 },
      ]);
    }
    // Through the whole Fastify pipeline (routing, validation, serialization) but in this
    // async context, so @strata/testing sees the statements the request sends to PostgreSQL.
    // (inject's callback form keeps the context; its promise form does not.)
    const get = (userId: string) =>
      new Promise<LightResponse>((resolve, reject) =>
        api.server.app.inject(
          { method: 'GET', url: `/users/${userId}/orders?limit=50` },
          (error, response) => (error || !response ? reject(error) : resolve(response)),
        ),
      );
    await get(few.id); // warm: the repositories read their table descriptions once
    const one = await expectQueries(() => get(few.id)).toBe(3);
    const twelve = await expectQueries(() => get(many.id)).toBe(3);
    expect(one.json().items).toHaveLength(1);
    expect(twelve.json().items).toHaveLength(12);
    expect(twelve.json().items.flatMap((order) => order.items)).toHaveLength(36);
  });
});
