import { describe, expect, it } from 'vitest';
import { InvalidQueryError } from './repository-errors.js';
import { parseFieldFilter } from './where-filter.js';

describe('parseFieldFilter', () => {
  it('reads a value as equality, null as IS NULL and an array as IN', () => {
    expect(parseFieldFilter('email', 'a@b.c')).toEqual([{ kind: 'compare', operator: '=', value: 'a@b.c' }]);
    expect(parseFieldFilter('deleted_at', null)).toEqual([{ kind: 'null', negated: false }]);
    expect(parseFieldFilter('id', [1, 2])).toEqual([{ kind: 'in', values: [1, 2] }]);
  });

  it('treats Dates and Buffers as values, not operator objects', () => {
    const date = new Date('2024-01-01T00:00:00Z');
    expect(parseFieldFilter('created_at', date)).toEqual([{ kind: 'compare', operator: '=', value: date }]);
    const bytes = Buffer.from('ab');
    expect(parseFieldFilter('hash', bytes)).toEqual([{ kind: 'compare', operator: '=', value: bytes }]);
  });

  it('reads comparison operators, with ne: null as IS NOT NULL', () => {
    expect(parseFieldFilter('total', { gte: 10, lt: 20 })).toEqual([
      { kind: 'compare', operator: '>=', value: 10 },
      { kind: 'compare', operator: '<', value: 20 },
    ]);
    expect(parseFieldFilter('deleted_at', { ne: null })).toEqual([{ kind: 'null', negated: true }]);
    expect(parseFieldFilter('status', { in: ['new', 'paid'] })).toEqual([
      { kind: 'in', values: ['new', 'paid'] },
    ]);
  });

  it('rejects unknown operators, naming the field and the operators that exist', () => {
    expect(() => parseFieldFilter('total', { between: [1, 2] })).toThrow(
      'Invalid query option `where.total`: unknown operator "between"; use eq, ne, gt, gte, lt, lte or in',
    );
    expect(() => parseFieldFilter('total', { gt: null })).toThrow(InvalidQueryError);
    expect(() => parseFieldFilter('total', { in: 3 })).toThrow('`where.total.in`: must be an array');
    expect(() => parseFieldFilter('total', {})).toThrow(InvalidQueryError);
  });
});
