import { describe, expect, it } from 'vitest';
import { keysetCondition } from './keyset-condition.js';

describe('keysetCondition', () => {
  it('uses a row comparison when all keys share a direction and are NOT NULL', () => {
    const condition = keysetCondition(
      [
        { column: 't.created_at', direction: 'desc', nullable: false },
        { column: 't.id', direction: 'desc', nullable: false },
      ],
      ['2024-01-01', '5'],
    );
    expect(condition).toEqual({
      sql: '(??, ??) < (?, ?)',
      bindings: ['t.created_at', 't.id', '2024-01-01', '5'],
    });
  });

  it('expands mixed directions into OR terms', () => {
    const condition = keysetCondition(
      [
        { column: 't.name', direction: 'asc', nullable: false },
        { column: 't.id', direction: 'desc', nullable: false },
      ],
      ['bob', '5'],
    );
    expect(condition).toEqual({
      sql: '(?? > ? or (?? = ? and ?? < ?))',
      bindings: ['t.name', 'bob', 't.name', 'bob', 't.id', '5'],
    });
  });

  it('places NULLs last when ascending: after a value come larger values and NULLs', () => {
    const condition = keysetCondition(
      [
        { column: 't.due', direction: 'asc', nullable: true },
        { column: 't.id', direction: 'asc', nullable: false },
      ],
      ['2024-01-01', '5'],
    );
    expect(condition.sql).toBe('((?? > ? or ?? is null) or (?? = ? and ?? > ?))');
  });

  it('after a NULL ascending, only later NULLs by id remain', () => {
    const condition = keysetCondition(
      [
        { column: 't.due', direction: 'asc', nullable: true },
        { column: 't.id', direction: 'asc', nullable: false },
      ],
      [null, '5'],
    );
    expect(condition).toEqual({ sql: '(?? is null and ?? > ?)', bindings: ['t.due', 't.id', '5'] });
  });

  it('after a NULL descending (NULLs first), every value follows', () => {
    const condition = keysetCondition(
      [
        { column: 't.due', direction: 'desc', nullable: true },
        { column: 't.id', direction: 'desc', nullable: false },
      ],
      [null, '5'],
    );
    expect(condition).toEqual({
      sql: '(?? is not null or (?? is null and ?? < ?))',
      bindings: ['t.due', 't.due', 't.id', '5'],
    });
  });
});
