import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeysetCursorCodec } from './keyset-cursor.js';
import { InvalidCursorError } from './repository-errors.js';

const order = 'created_at desc, id desc';
const position = { order, values: ['2024-05-01 10:00:00.123456+00', '42'] };

describe('KeysetCursorCodec', () => {
  it('round-trips a position through an opaque string', () => {
    const codec = new KeysetCursorCodec('orders', undefined);
    const cursor = codec.encode(position);
    expect(cursor).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(cursor).not.toContain('created_at');
    expect(codec.decode(cursor, order)).toEqual(position);
  });

  it('keeps NULL key values', () => {
    const codec = new KeysetCursorCodec('orders', undefined);
    const withNull = { order, values: [null, '7'] };
    expect(codec.decode(codec.encode(withNull), order)).toEqual(withNull);
  });

  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['garbage', 'not-a-cursor'],
    ['three parts', 'a.b.c'],
    ['a very long string', `${'a'.repeat(5000)}.b`],
  ])('rejects %s with InvalidCursorError', (_, cursor) => {
    const codec = new KeysetCursorCodec('orders', undefined);
    expect(() => codec.decode(cursor, order)).toThrow(InvalidCursorError);
  });

  it('rejects a cursor whose body was edited', () => {
    const codec = new KeysetCursorCodec('orders', undefined);
    const [, tag] = codec.encode(position).split('.');
    const forged = Buffer.from(JSON.stringify({ o: order, k: ['2099-01-01', '1'] })).toString('base64url');
    expect(() => codec.decode(`${forged}.${tag}`, order)).toThrow(/signature does not match/);
  });

  it('without a secret, signs with a random key of this process: the source holds no key to forge with', () => {
    const codec = new KeysetCursorCodec('orders', undefined);
    const body = Buffer.from(JSON.stringify({ o: order, k: ['2099-01-01', '1'] })).toString('base64url');
    const publicKeyTag = createHmac('sha256', 'strata-repository-cursor')
      .update('orders')
      .update('\0')
      .update(body)
      .digest('base64url')
      .slice(0, 22);
    expect(() => codec.decode(`${body}.${publicKeyTag}`, order)).toThrow(InvalidCursorError);
    // Another codec of the same process shares the key.
    expect(new KeysetCursorCodec('orders', undefined).decode(codec.encode(position), order)).toEqual(
      position,
    );
  });

  it('rejects a cursor of another table', () => {
    const cursor = new KeysetCursorCodec('orders', undefined).encode(position);
    expect(() => new KeysetCursorCodec('users', undefined).decode(cursor, order)).toThrow(InvalidCursorError);
  });

  it('with a secret, rejects cursors signed with another secret', () => {
    const cursor = new KeysetCursorCodec('orders', 'a-secret-of-16-chars!').encode(position);
    expect(() => new KeysetCursorCodec('orders', 'another-secret-16chars').decode(cursor, order)).toThrow(
      InvalidCursorError,
    );
    expect(new KeysetCursorCodec('orders', 'a-secret-of-16-chars!').decode(cursor, order)).toEqual(position);
  });

  it('rejects a cursor made for another sort order, naming both', () => {
    const codec = new KeysetCursorCodec('orders', undefined);
    expect(() => codec.decode(codec.encode(position), 'id asc')).toThrow(
      'it was made for orderBy created_at desc, id desc, but this call orders by id asc',
    );
  });
});
