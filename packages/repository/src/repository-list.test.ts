import { createPool } from '@strata/pool';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRepository } from './create-repository.js';
import { KeysetCursorCodec } from './keyset-cursor.js';
import type { Repository } from './repository.js';
import { FieldNotAllowedError, InvalidCursorError, InvalidQueryError } from './repository-errors.js';
import type { ListOptions } from './repository-list.js';
import { createTestPool, Order, type TestPool, User } from './test-support/fixtures.js';

let db: TestPool;
let users: Repository<User>;
let orders: Repository<Order>;
let customerId: string;

beforeAll(async () => {
  db = await createTestPool('list');
  users = createRepository(db.pool, User, {
    sortable: ['name', 'created_at', 'nickname'],
    filterable: ['name', 'nickname', 'email'],
    maxPageSize: 50,
    defaultPageSize: 5,
  });
  orders = createRepository(db.pool, Order, {
    sortable: ['total', 'due_on'],
    filterable: ['status', 'total'],
  });
  customerId = (await users.create({ email: 'customer@example.com', name: 'customer' })).id;
});

afterAll(async () => {
  await db?.close();
});

/** Follows nextCursor from the first page to the last, calling `between` before each next page. */
async function readAll<M extends User | Order>(
  repository: Repository<M>,
  options: ListOptions<M>,
  between: (pageNumber: number) => Promise<void> = async () => {},
): Promise<M[]> {
  const seen: M[] = [];
  let after: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const result = await repository.list({ ...options, after });
    seen.push(...result.items);
    if (result.nextCursor === null) return seen;
    await between(page);
    after = result.nextCursor;
  }
  throw new Error('pagination did not end');
}

describe('list', () => {
  beforeEach(async () => {
    await db.pool.query("delete from users where email <> 'customer@example.com'");
  });

  it('pages by id by default, with the default page size, and ends with a null cursor', async () => {
    await users.createMany(
      Array.from({ length: 12 }, (_, i) => ({ email: `u${i}@example.com`, name: `u${i}` })),
    );
    const first = await users.list();
    expect(first.items).toHaveLength(5);
    expect(first.nextCursor).toEqual(expect.any(String));
    const all = await readAll(users, {});
    expect(all.map((user) => user.email)).toHaveLength(13);
    const ids = all.map((user) => BigInt(user.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(ids);
    const last = await users.list({ limit: 50 });
    expect(last.nextCursor).toBeNull();
  });

  it('neither skips nor repeats rows when rows are inserted between pages', async () => {
    // Names with gaps, so new rows can land before and after the cursor.
    const original = Array.from({ length: 30 }, (_, i) => ({
      email: `p${i}@example.com`,
      name: `name-${String(i * 10).padStart(4, '0')}`,
    }));
    await users.createMany(original);
    let inserted = 0;
    const insertedNames: string[] = [];
    const seen = await readAll(
      users,
      { orderBy: 'name', limit: 7, where: { name: { gte: 'name-' } } },
      async () => {
        // After each page: one row sorting before everything, one in the middle, one at the end.
        const batch = [`name-0000-${inserted}`, `name-0155-${inserted}`, `name-9999-${inserted}`];
        inserted++;
        insertedNames.push(...batch);
        for (const [i, name] of batch.entries())
          await users.create({ email: `n${inserted}-${i}@example.com`, name });
      },
    );
    const names = seen.map((user) => user.name);
    expect(new Set(names).size).toBe(names.length); // nothing repeated
    for (const { name } of original) expect(names).toContain(name); // nothing skipped
    expect(names).toEqual([...names].sort()); // in order
    // Rows inserted after the current position are picked up; those before it are not revisited.
    expect(names.filter((name) => name.startsWith('name-9999'))).toHaveLength(inserted);
    expect(names.some((name) => name.startsWith('name-0000-'))).toBe(false);
  });

  it('sorts descending on a timestamp with microseconds without losing rows at page edges', async () => {
    // Rows share created_at values that differ only in microseconds, which a JavaScript Date cannot hold.
    await db.pool.query(
      `insert into users (email, name, created_at, updated_at)
       select 'm' || g || '@example.com', 'm' || g, '2024-01-01 00:00:00'::timestamptz + (g % 4) * interval '1 microsecond', now()
       from generate_series(1, 23) g`,
    );
    const all = await readAll(users, { orderBy: { field: 'created_at', direction: 'desc' }, limit: 4 });
    expect(all).toHaveLength(24);
    expect(new Set(all.map((user) => user.id)).size).toBe(24);
  });

  it('pages over a nullable column with NULLs in both directions', async () => {
    await users.createMany(
      Array.from({ length: 17 }, (_, i) => ({
        email: `z${i}@example.com`,
        name: `z${i}`,
        nickname: i % 3 === 0 ? null : `nick-${i % 5}`,
      })),
    );
    for (const direction of ['asc', 'desc'] as const) {
      const all = await readAll(users, { orderBy: [{ field: 'nickname', direction }, 'name'], limit: 3 });
      expect(all).toHaveLength(18);
      expect(new Set(all.map((user) => user.id)).size).toBe(18);
      const nicknames = all.map((user) => user.nickname);
      const firstNull = nicknames.indexOf(null);
      // PostgreSQL's default: NULLs last ascending, first descending.
      if (direction === 'asc') expect(nicknames.slice(firstNull).every((n) => n === null)).toBe(true);
      else expect(nicknames.slice(0, nicknames.lastIndexOf(null) + 1).every((n) => n === null)).toBe(true);
    }
  });

  it('filters with values, arrays and comparisons, always as parameters', async () => {
    await users.createMany([
      { email: 'a@example.com', name: 'alpha', nickname: null },
      { email: 'b@example.com', name: 'beta', nickname: 'b' },
      { email: "o'brien@example.com", name: "o'brien; drop table users; --", nickname: 'x' },
    ]);
    const byName = await users.list({ where: { name: ['alpha', 'beta'] } });
    expect(byName.items.map((user) => user.name).sort()).toEqual(['alpha', 'beta']);
    expect(
      (await users.list({ where: { nickname: null, name: { ne: 'customer' } } })).items.map((u) => u.name),
    ).toEqual(['alpha']);
    expect((await users.list({ where: { nickname: { ne: null } } })).items).toHaveLength(2);
    const hostile = await users.list({ where: { name: "o'brien; drop table users; --" } });
    expect(hostile.items).toHaveLength(1);
    expect(
      (await users.list({ where: { name: { gt: 'alpha', lte: 'beta' } } })).items.map((u) => u.name),
    ).toEqual(['beta']);
  });

  it('loads relations for the page', async () => {
    await db.pool.query('delete from order_items; delete from orders');
    await orders.createMany(
      Array.from({ length: 6 }, (_, i) => ({ user_id: customerId, status: 'new', total: `${i}.50` })),
    );
    const page = await orders.list({
      with: 'customer',
      orderBy: { field: 'total', direction: 'desc' },
      limit: 4,
    });
    expect(page.items.map((order) => order.total)).toEqual(['5.50', '4.50', '3.50', '2.50']);
    expect(page.items.every((order) => order.customer?.email === 'customer@example.com')).toBe(true);
    const rest = await orders.list({
      orderBy: { field: 'total', direction: 'desc' },
      after: page.nextCursor,
    });
    expect(rest.items.map((order) => order.total)).toEqual(['1.50', '0.50']);
  });
});

describe('list rejects', () => {
  it('sorting or filtering by a field outside the allowlist', async () => {
    const sortError = await users.list({ orderBy: 'email' }).catch((error: unknown) => error);
    expect(sortError).toBeInstanceOf(FieldNotAllowedError);
    expect(sortError).toMatchObject({ code: 'FIELD_NOT_ALLOWED', field: 'email', use: 'sort' });
    expect((sortError as Error).message).toBe(
      'Cannot sort User by "email": it is not in the repository\'s `sortable` list (allowed: name, created_at, nickname). ' +
        'Add it to `sortable` if it should be.',
    );
    await expect(orders.list({ where: { user_id: customerId } })).rejects.toThrow(
      'Cannot filter Order on "user_id": it is not in the repository\'s `filterable` list (allowed: status, total).',
    );
    // Field names that are not fields at all, e.g. from a query string.
    const where = { 'name"; drop table users; --': 'x' } as unknown as ListOptions<User>['where'];
    await expect(users.list({ where })).rejects.toThrow(FieldNotAllowedError);
    const orderBy = 'created_at desc' as unknown as ListOptions<User>['orderBy'];
    await expect(users.list({ orderBy })).rejects.toThrow(FieldNotAllowedError);
  });

  it('a page size above maxPageSize, or not a positive whole number', async () => {
    await expect(users.list({ limit: 51 })).rejects.toThrow(
      'Invalid query option `limit`: must be a whole number from 1 to 50 (maxPageSize of User), got 51; follow nextCursor for more rows',
    );
    await expect(users.list({ limit: 0 })).rejects.toThrow(InvalidQueryError);
    await expect(users.list({ limit: 2.5 })).rejects.toThrow(InvalidQueryError);
  });

  it('garbage, altered or mismatched cursors', async () => {
    await users.createMany(
      Array.from({ length: 3 }, (_, i) => ({ email: `c${i}@example.com`, name: `c${i}` })),
    );
    const { nextCursor } = await users.list({ limit: 1, orderBy: 'name' });
    expect(nextCursor).toEqual(expect.any(String));
    await expect(users.list({ after: 'garbage' })).rejects.toThrow(InvalidCursorError);
    await expect(users.list({ orderBy: 'name', after: `x${nextCursor}` })).rejects.toThrow(
      InvalidCursorError,
    );
    await expect(users.list({ orderBy: 'nickname', after: nextCursor })).rejects.toThrow(
      'it was made for orderBy name asc, id asc, but this call orders by nickname asc, id asc',
    );
    // A cursor of another repository's table does not verify either.
    await expect(orders.list({ orderBy: 'total', after: nextCursor })).rejects.toThrow(InvalidCursorError);
  });

  it('forged cursors whose values do not fit the sort columns, even when signed with the right key', async () => {
    const secret = 'a-secret-of-16-chars!';
    const signed = createRepository(db.pool, Order, {
      sortable: ['total', 'due_on', 'created_at'],
      cursorSecret: secret,
    });
    const codec = new KeysetCursorCodec('orders', secret);
    const forged: [
      ListOptions<Order, 'total' | 'due_on' | 'created_at'>['orderBy'],
      string,
      (string | null)[],
      RegExp,
    ][] = [
      [undefined, 'id asc', ['1', '2'], /holds 2 sort key value\(s\), but this list sorts by 1/],
      [undefined, 'id asc', [], /holds 0/],
      [undefined, 'id asc', ['abc'], /value for "id" is not a int8 value/],
      [undefined, 'id asc', ['99999999999999999999'], /not a int8 value/],
      [undefined, 'id asc', [null], /value for "id" is null/],
      [undefined, 'id asc', ['1\0'], /NUL/],
      ['total', 'total asc, id asc', ['1e5', '1'], /"total" is not a numeric value/],
      ['due_on', 'due_on asc, id asc', ['2024-02-30', '1'], /"due_on" is not a date value/],
      ['created_at', 'created_at asc, id asc', ['yesterday', '1'], /not a timestamptz value/],
    ];
    for (const [orderBy, order, values, message] of forged) {
      const after = codec.encode({ order, values });
      const error = await signed.list({ orderBy, after }).catch((caught: unknown) => caught);
      expect(error, values.join()).toBeInstanceOf(InvalidCursorError);
      expect((error as Error).message).toMatch(message);
    }
    // NULL is a position where the column allows it.
    const dueOnNull = codec.encode({ order: 'due_on asc, id asc', values: [null, '1'] });
    const afterNull = await signed.list({ orderBy: 'due_on', after: dueOnNull });
    expect(afterNull.items.every((order) => order.due_on === null && BigInt(order.id) > 1n)).toBe(true);
  });
});

describe('list cursors of dates and timestamps', () => {
  it('work whatever the session DateStyle', async () => {
    await db.pool.query("delete from users where email <> 'customer@example.com'");
    await db.pool.query(
      `insert into users (email, name, created_at, updated_at)
       select 'd' || g || '@example.com', 'd' || g, '2024-01-31 00:00:00+00'::timestamptz + (g % 3) * interval '1 day 1 microsecond', now()
       from generate_series(1, 10) g`,
    );
    const url = new URL(db.database.url);
    url.searchParams.set('options', '-c DateStyle=SQL,DMY');
    const pool = createPool({ connectionString: url.toString(), max: 1 });
    try {
      const german = createRepository(pool, User, { sortable: ['created_at'] });
      const all = await readAll(german, { orderBy: { field: 'created_at', direction: 'desc' }, limit: 3 });
      expect(all).toHaveLength(11);
      expect(new Set(all.map((user) => user.id)).size).toBe(11);
    } finally {
      await pool.close();
    }
  });
});
