import {
  ForeignKeyViolationError,
  InvalidConfigError,
  NotNullViolationError,
  UniqueViolationError,
} from '@strata/errors';
import { OptimisticLockError, withTransaction } from '@strata/transactions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BaseModel } from './base-model.js';
import { createRepository } from './create-repository.js';
import { Repository } from './repository.js';
import {
  FieldNotAllowedError,
  InvalidRowsError,
  InvalidTextError,
  NotFoundError,
} from './repository-errors.js';
import { countStatements } from './test-support/count-statements.js';
import { createTestPool, Document, Order, type TestPool, User } from './test-support/fixtures.js';

let db: TestPool;
let users: Repository<User>;
let orders: Repository<Order>;

beforeAll(async () => {
  db = await createTestPool('writes');
  users = createRepository(db.pool, User, { filterable: ['email'] });
  orders = createRepository(db.pool, Order);
});

afterAll(async () => {
  await db?.close();
});

let sequence = 0;
const email = () => `user${++sequence}@example.com`;

describe('text PostgreSQL would refuse or change', () => {
  it('is an InvalidTextError naming the field and column, before any statement is sent', async () => {
    const user = await users.create({ email: email(), name: 'Plain' });
    const writes: [string, () => Promise<unknown>][] = [
      ['create', () => users.create({ email: email(), name: 'nul\0' })],
      ['update', () => users.update(user.id, { nickname: 'x\ud800' })],
      ['versioned update', () => users.update(user.id, { name: '\0' }, { version: user.version })],
      ['upsert', () => users.upsert({ email: user.email, name: '\udc00' }, { conflictTarget: 'email' })],
      [
        'createMany',
        () =>
          users.createMany([
            { email: email(), name: 'ok' },
            { email: email(), name: '\0' },
          ]),
      ],
    ];
    for (const [method, write] of writes) {
      let error: unknown;
      const statements = await countStatements(async () => {
        error = await write().catch((caught: unknown) => caught);
      });
      expect(error, method).toBeInstanceOf(InvalidTextError);
      expect((error as InvalidTextError).column).toMatch(/^(name|nickname)$/);
      expect((error as Error).message, method).toMatch(/^Cannot write User field "(name|nickname)" \(column/);
      expect(
        statements.filter((statement) => !/^select a\.attname/.test(statement)),
        method,
      ).toEqual([]);
    }
    expect((await users.getById(user.id)).name).toBe('Plain');
  });

  it('is found inside json values, with the path to it', async () => {
    const documents = createRepository(db.pool, Document);
    const error = await documents
      .create({ title: 'doc', body: { tags: ['ok', 'bad\0'] } })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'INVALID_TEXT', field: 'body', path: ['tags', 1], reason: 'nul' });
  });

  it('is also refused in where filters, as an InvalidQueryError', async () => {
    await expect(users.findOne({ email: 'a\0@example.com' })).rejects.toMatchObject({
      code: 'INVALID_QUERY',
      option: 'where.email',
    });
  });
});

describe('create', () => {
  it('returns the stored row, with timestamps set by the application and column defaults', async () => {
    const before = Date.now();
    const user = await users.create({ email: 'ada@example.com', name: 'Ada' });
    expect(user).toBeInstanceOf(User);
    expect(user).toMatchObject({ email: 'ada@example.com', name: 'Ada', nickname: null, version: 1 });
    expect(user.id).toEqual(expect.any(String));
    expect(user.created_at.getTime()).toBeGreaterThanOrEqual(before);
    expect(user.updated_at).toEqual(user.created_at);
    expect((await users.getById(user.id)).email).toBe('ada@example.com');
  });

  it('keeps an explicit created_at, e.g. when importing history', async () => {
    const created_at = new Date('2020-01-01T00:00:00Z');
    const user = await users.create({ email: email(), name: 'Old', created_at });
    expect(user.created_at).toEqual(created_at);
  });

  it('turns a duplicate email into a UniqueViolationError naming the constraint and column', async () => {
    await users.create({ email: 'taken@example.com', name: 'First' });
    const error = await users
      .create({ email: 'taken@example.com', name: 'Second' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UniqueViolationError);
    expect(error).toMatchObject({
      code: 'UNIQUE_VIOLATION',
      constraint: 'users_email_key',
      columns: ['email'],
      table: 'users',
    });
    expect((error as Error).message).toContain('constraint "users_email_key"');
    expect((error as Error).message).not.toContain('taken@example.com');
  });

  it('types other integrity errors too', async () => {
    await expect(orders.create({ user_id: '999999', status: 'new' })).rejects.toBeInstanceOf(
      ForeignKeyViolationError,
    );
    await expect(users.create({ email: email() })).rejects.toBeInstanceOf(NotNullViolationError);
  });

  it('rejects fields that are not columns, naming the field', async () => {
    const data = { email: email(), name: 'X', is_admin: true } as unknown as Parameters<
      typeof users.create
    >[0];
    await expect(users.create(data)).rejects.toThrow(
      'Cannot write User field "is_admin": "is_admin" is not a column of table users.',
    );
  });

  it('with a `writable` list, accepts only the listed fields', async () => {
    const signups = createRepository(db.pool, User, { writable: ['email', 'name'] });
    const user = await signups.create({ email: email(), name: 'Listed' });
    expect(user.name).toBe('Listed');
    const error = await signups
      .create({ email: email(), name: 'X', version: 7 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FieldNotAllowedError);
    expect((error as Error).message).toBe(
      'Cannot write User field "version": it is not in the repository\'s `writable` list (allowed: email, name). ' +
        'Add it to `writable` if it should be.',
    );
  });
});

describe('update', () => {
  it('patches the given fields, sets updated_at and increments the version', async () => {
    const created = await users.create({ email: email(), name: 'Before' });
    const updated = await users.update(created.id, { name: 'After' });
    expect(updated).toBeInstanceOf(User);
    expect(updated).toMatchObject({ id: created.id, name: 'After', email: created.email, version: 2 });
    expect(updated.updated_at.getTime()).toBeGreaterThanOrEqual(created.updated_at.getTime());
    expect(updated.created_at).toEqual(created.created_at);
  });

  it('throws NotFoundError for a missing id', async () => {
    await expect(users.update('999999', { name: 'Nobody' })).rejects.toThrow(
      new NotFoundError('User', ['999999']).message,
    );
  });

  it('with { version }, applies only to that version (optimistic locking)', async () => {
    const created = await users.create({ email: email(), name: 'v1' });
    const first = await users.update(created.id, { name: 'v2' }, { version: created.version });
    expect(first).toMatchObject({ name: 'v2', version: 2 });
    expect(first).toBeInstanceOf(User);
    // A second writer that read version 1 loses.
    const error = await users
      .update(created.id, { name: 'stale' }, { version: 1 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OptimisticLockError);
    expect(error).toMatchObject({
      code: 'OPTIMISTIC_LOCK_CONFLICT',
      table: 'users',
      id: created.id,
      expectedVersion: 1,
    });
    expect((await users.getById(created.id)).name).toBe('v2');
  });

  it('refuses to change the id or the managed version directly', async () => {
    const created = await users.create({ email: email(), name: 'Fixed' });
    await expect(users.update(created.id, { id: '5' })).rejects.toBeInstanceOf(InvalidRowsError);
    await expect(users.update(created.id, { version: 9 })).rejects.toThrow(
      'pass the version read as { version }',
    );
  });

  it('returns typed errors from the database', async () => {
    const a = await users.create({ email: email(), name: 'A' });
    const b = await users.create({ email: email(), name: 'B' });
    await expect(users.update(b.id, { email: a.email })).rejects.toMatchObject({
      constraint: 'users_email_key',
      columns: ['email'],
    });
  });
});

describe('upsert', () => {
  it('inserts, then updates on conflict keeping created_at and bumping the version', async () => {
    const address = email();
    const inserted = await users.upsert({ email: address, name: 'First' }, { conflictTarget: 'email' });
    expect(inserted).toMatchObject({ email: address, name: 'First', version: 1 });
    const updated = await users.upsert({ email: address, name: 'Second' }, { conflictTarget: ['email'] });
    expect(updated).toBeInstanceOf(User);
    expect(updated).toMatchObject({ id: inserted.id, name: 'Second', version: 2 });
    expect(updated.created_at).toEqual(inserted.created_at);
    expect(updated.updated_at.getTime()).toBeGreaterThanOrEqual(inserted.updated_at.getTime());
  });

  it('overwrites only the fields in `update`', async () => {
    const address = email();
    await users.create({ email: address, name: 'Kept', nickname: 'old' });
    const result = await users.upsert(
      { email: address, name: 'Ignored', nickname: 'new' },
      { conflictTarget: 'email', update: ['nickname'] },
    );
    expect(result).toMatchObject({ name: 'Kept', nickname: 'new' });
  });

  it('needs an explicit conflict target that is a column', async () => {
    await expect(
      users.upsert({ email: email(), name: 'X' }, { conflictTarget: [] as unknown as 'email' }),
    ).rejects.toThrow('Invalid query option `conflictTarget`');
    await expect(
      users.upsert({ email: email(), name: 'X' }, { conflictTarget: 'mail' as unknown as 'email' }),
    ).rejects.toThrow('"mail" is not a column of table users');
  });
});

describe('delete', () => {
  it('deletes by id and tells whether a row existed', async () => {
    const user = await users.create({ email: email(), name: 'Gone' });
    expect(await users.delete(user.id)).toBe(true);
    expect(await users.findById(user.id)).toBeUndefined();
    expect(await users.delete(user.id)).toBe(false);
  });

  it('with { version }, deletes only that version', async () => {
    const user = await users.create({ email: email(), name: 'Versioned' });
    await users.update(user.id, { name: 'changed' });
    await expect(users.delete(user.id, { version: 1 })).rejects.toBeInstanceOf(OptimisticLockError);
    expect(await users.delete(user.id, { version: 2 })).toBe(true);
    expect(await users.delete(user.id, { version: 2 })).toBe(false);
  });
});

describe('ambient transaction', () => {
  it('repository writes inside withTransaction are undone by its rollback', async () => {
    const address = email();
    const existing = await users.create({ email: email(), name: 'Untouched' });
    const failure = new Error('abort the transaction');
    const error = await withTransaction(db.pool, async () => {
      const user = await users.create({ email: address, name: 'Inside' });
      await users.update(existing.id, { name: 'Changed inside' });
      await users.createMany([{ email: email(), name: 'many-1' }]);
      await users.createMany(
        Array.from({ length: 1500 }, (_, i) => ({ email: `copy${i}-${address}`, name: 'copied' })),
      );
      await orders.createMany([{ user_id: user.id, status: 'new' }]);
      // Reads inside see the transaction's own writes (same connection).
      expect((await users.getById(user.id)).name).toBe('Inside');
      expect(await users.findOne({ email: address })).toBeDefined();
      throw failure;
    }).catch((caught: unknown) => caught);
    expect(error).toBe(failure);
    expect(await users.findOne({ email: address })).toBeUndefined();
    expect((await users.getById(existing.id)).name).toBe('Untouched');
    const { rows } = await db.pool.query<{ n: string }>(
      "select count(*) as n from users where name in ('many-1', 'copied')",
    );
    expect(rows[0]?.n).toBe('0');
  });

  it('commits repository writes with the transaction', async () => {
    const address = email();
    await withTransaction(db.pool, async () => {
      await users.create({ email: address, name: 'Committed' });
    });
    expect((await users.findOne({ email: address }))?.name).toBe('Committed');
  });

  it('a failing write in a savepoint leaves the outer transaction usable', async () => {
    const address = email();
    await withTransaction(db.pool, async () => {
      await users.create({ email: address, name: 'Outer' });
      await expect(
        withTransaction(db.pool, () => users.create({ email: address, name: 'Duplicate' })),
      ).rejects.toBeInstanceOf(UniqueViolationError);
      await users.update((await users.findOne({ email: address }))?.id as string, { nickname: 'still fine' });
    });
    expect((await users.findOne({ email: address }))?.nickname).toBe('still fine');
  });
});

describe('schema-qualified tables', () => {
  it('reads, pages and writes a table outside the search path', async () => {
    await db.pool.query(`create schema reporting;
      create table reporting.events (id bigserial primary key, kind text not null,
        created_at timestamptz not null, updated_at timestamptz not null)`);
    class Event extends BaseModel {
      static override tableName = 'reporting.events';
      declare id: string;
      declare kind: string;
    }
    const events = createRepository(db.pool, Event, {
      sortable: ['kind'],
      filterable: ['kind'],
      copyThreshold: 5,
    });
    const few = await events.createMany([{ kind: 'a' }, { kind: 'b' }]);
    const many = await events.createMany(Array.from({ length: 10 }, (_, i) => ({ kind: `k${i}` })));
    expect((await events.getById(few[1] as string)).kind).toBe('b');
    expect((await events.getManyByIds(many)).map((event) => event.kind)).toEqual(
      Array.from({ length: 10 }, (_, i) => `k${i}`),
    );
    const first = await events.list({ orderBy: 'kind', limit: 5 });
    const second = await events.list({ orderBy: 'kind', limit: 10, after: first.nextCursor });
    expect([...first.items, ...second.items]).toHaveLength(12);
    expect((await events.update(few[0] as string, { kind: 'z' })).kind).toBe('z');
    expect(await events.delete(few[0] as string)).toBe(true);
  });
});

describe('configuration', () => {
  it('rejects invalid options, naming every bad field', () => {
    const error = (() => {
      try {
        return new Repository(db.pool, User, { maxPageSize: 0, defaultPageSize: -1, copyThreshold: 0 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as Error).message).toContain('maxPageSize');
    expect((error as Error).message).toContain('defaultPageSize');
    expect((error as Error).message).toContain('copyThreshold');
  });
});
