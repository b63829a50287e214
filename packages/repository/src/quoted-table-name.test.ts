import { InvalidConfigError } from '@strata/errors';
import { OptimisticLockError, withTransaction } from '@strata/transactions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseModel } from './base-model.js';
import { createRepository } from './create-repository.js';
import type { Repository } from './repository.js';
import { NotFoundError } from './repository-errors.js';
import { createTestPool, type TestPool } from './test-support/fixtures.js';

// A table PostgreSQL only reaches quoted: mixed case and `$` in the table name, a mixed-case column.
class OrderLine extends BaseModel {
  static override tableName = 'Order$Items';
  declare id: string;
  declare Sku: string;
  declare quantity: number;
  declare version: number;
}

const TABLE = `
create table "Order$Items" (
  id bigserial primary key,
  "Sku" text not null constraint "Order$Items_Sku_key" unique,
  quantity integer not null,
  version integer not null default 1,
  created_at timestamptz not null,
  updated_at timestamptz not null
)`;

let db: TestPool;
let lines: Repository<OrderLine>;

beforeAll(async () => {
  db = await createTestPool('quoted_table');
  await db.pool.query(TABLE);
  lines = createRepository(db.pool, OrderLine, {
    filterable: ['Sku'],
    sortable: ['Sku'],
    copyThreshold: 5,
  });
});

afterAll(async () => {
  await db?.close();
});

const skus = (entities: readonly OrderLine[]) => entities.map((line) => line.Sku);
const rows = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => ({ Sku: `${prefix}-${index}`, quantity: index + 1 }));

describe('a model whose table name needs quoting ("Order$Items")', () => {
  it('works on every repository path', async () => {
    const created = await lines.create({ Sku: 'A-1', quantity: 1 });
    expect(created).toMatchObject({ Sku: 'A-1', quantity: 1, version: 1 });

    expect(await lines.getById(created.id)).toMatchObject({ Sku: 'A-1' });
    expect(await lines.findById(created.id)).toMatchObject({ Sku: 'A-1' });
    expect(await lines.findOne({ Sku: 'A-1' })).toMatchObject({ id: created.id });

    // createMany: one INSERT below copyThreshold; COPY from it on, with ids from the sequence
    // default (own transaction) and taken up front (inside the caller's transaction).
    const inserted = await lines.createMany(rows('B', 2));
    const copied = await lines.createMany(rows('C', 5));
    const copiedInTransaction = await withTransaction(db.pool, () => lines.createMany(rows('D', 5)));
    expect(skus(await lines.getManyByIds(inserted))).toEqual(['B-0', 'B-1']);
    expect(skus(await lines.getManyByIds(copied))).toEqual(rows('C', 5).map((row) => row.Sku));
    expect(skus(await lines.getManyByIds(copiedInTransaction))).toEqual(rows('D', 5).map((row) => row.Sku));

    const first = await lines.list({ orderBy: 'Sku', limit: 3, where: { Sku: { gte: 'C' } } });
    expect(skus(first.items)).toEqual(['C-0', 'C-1', 'C-2']);
    const second = await lines.list({
      orderBy: 'Sku',
      limit: 3,
      where: { Sku: { gte: 'C' } },
      after: first.nextCursor,
    });
    expect(skus(second.items)).toEqual(['C-3', 'C-4', 'D-0']);

    const updated = await lines.update(created.id, { quantity: 2 }, { version: 1 });
    expect(updated).toMatchObject({ id: created.id, quantity: 2, version: 2 });
    expect(updated).toBeInstanceOf(OrderLine);
    await expect(lines.update(created.id, { quantity: 3 }, { version: 1 })).rejects.toBeInstanceOf(
      OptimisticLockError,
    );
    expect(await lines.update(created.id, { quantity: 4 })).toMatchObject({ quantity: 4, version: 3 });

    const upserted = await lines.upsert({ Sku: 'A-1', quantity: 9 }, { conflictTarget: 'Sku' });
    expect(upserted).toMatchObject({ id: created.id, quantity: 9, version: 4 });

    await expect(lines.delete(created.id, { version: 3 })).rejects.toBeInstanceOf(OptimisticLockError);
    expect(await lines.delete(created.id, { version: 4 })).toBe(true);
    expect(await lines.delete(inserted[0] as string)).toBe(true);
    await expect(lines.getById(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a table name PostgreSQL cannot take, naming the rule', () => {
    class TooLong extends BaseModel {
      static override tableName = 'x'.repeat(64);
    }
    expect(() => createRepository(db.pool, TooLong)).toThrow(InvalidConfigError);
    expect(() => createRepository(db.pool, TooLong)).toThrow(/model\.tableName: must be at most 63 bytes/);
  });
});
