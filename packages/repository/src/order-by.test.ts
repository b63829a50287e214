import { describe, expect, it } from 'vitest';
import { describeOrder, resolveOrderBy } from './order-by.js';
import { InvalidQueryError } from './repository-errors.js';

describe('resolveOrderBy', () => {
  it('sorts by id ascending by default', () => {
    expect(resolveOrderBy(undefined, 'id')).toEqual([{ field: 'id', direction: 'asc' }]);
  });

  it('appends the id as tie-breaker in the direction of the last key', () => {
    expect(resolveOrderBy([{ field: 'created_at', direction: 'desc' }], 'id')).toEqual([
      { field: 'created_at', direction: 'desc' },
      { field: 'id', direction: 'desc' },
    ]);
    expect(resolveOrderBy('email', 'id')).toEqual([
      { field: 'email', direction: 'asc' },
      { field: 'id', direction: 'asc' },
    ]);
  });

  it('stops at the id, since nothing after a unique key changes the order', () => {
    expect(resolveOrderBy(['id', 'email'], 'id')).toEqual([{ field: 'id', direction: 'asc' }]);
  });

  it('rejects malformed keys, bad directions and repeated fields', () => {
    expect(() => resolveOrderBy([{ field: '' }], 'id')).toThrow(InvalidQueryError);
    expect(() => resolveOrderBy({ field: 'email', direction: 'up' as 'asc' }, 'id')).toThrow(
      "must be 'asc' or 'desc', got up",
    );
    expect(() => resolveOrderBy(['email', 'email'], 'id')).toThrow('field "email" appears twice');
  });

  it('describes the order for cursors', () => {
    expect(describeOrder(resolveOrderBy([{ field: 'name', direction: 'desc' }], 'id'))).toBe(
      'name desc, id desc',
    );
  });
});
