import { describe, expect, test } from 'vitest';
import {
  escapeIdentifier,
  InvalidIdentifierError,
  identifierProblem,
  qualifiedNameProblem,
  quoteIdentifier,
  quoteQualifiedName,
} from './sql-identifier.js';

const caught = (fn: () => unknown): InvalidIdentifierError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof InvalidIdentifierError) return error;
    throw error;
  }
  throw new Error('expected InvalidIdentifierError');
};

describe('quoteIdentifier', () => {
  test.each([
    ['users', '"users"'],
    ['Order$Items', '"Order$Items"'],
    ['order-items', '"order-items"'],
    ['with space', '"with space"'],
    ['say "hi"', '"say ""hi"""'],
    ['drop table x; --', '"drop table x; --"'],
    ['größe', '"größe"'],
  ])('quotes %j exactly, keeping its case', (name, quoted) => {
    expect(quoteIdentifier(name)).toBe(quoted);
  });

  test('accepts 63 bytes and refuses 64, counting UTF-8 bytes rather than characters', () => {
    expect(quoteIdentifier('a'.repeat(63))).toBe(`"${'a'.repeat(63)}"`);
    expect(caught(() => quoteIdentifier('a'.repeat(64))).rule).toBe('max-63-bytes');
    // 32 characters, 64 bytes.
    const twoByteCharacters = 'ä'.repeat(32);
    expect(twoByteCharacters.length).toBe(32);
    expect(caught(() => quoteIdentifier(twoByteCharacters)).rule).toBe('max-63-bytes');
  });

  test('an invalid name is an InvalidIdentifierError with a stable code naming the name and the rule', () => {
    const empty = caught(() => quoteIdentifier(''));
    expect(empty).toMatchObject({ code: 'INVALID_IDENTIFIER', identifier: '', rule: 'non-empty' });
    const nul = caught(() => quoteIdentifier('a\0b'));
    expect(nul).toMatchObject({ code: 'INVALID_IDENTIFIER', identifier: 'a\0b', rule: 'no-nul' });
    expect(nul.message).toContain('"a\\u0000b"');
    expect(nul.message).toContain('NUL');
    const long = caught(() => quoteIdentifier('x'.repeat(70)));
    expect(long.message).toContain('63 bytes');
    expect(caught(() => quoteIdentifier(undefined as unknown as string)).rule).toBe('string');
  });
});

describe('quoteQualifiedName', () => {
  test('quotes a name or schema.name part by part', () => {
    expect(quoteQualifiedName('Order$Items')).toBe('"Order$Items"');
    expect(quoteQualifiedName('app.Order$Items')).toBe('"app"."Order$Items"');
  });

  test('refuses more than two parts and an empty part', () => {
    expect(caught(() => quoteQualifiedName('a.b.c'))).toMatchObject({
      identifier: 'a.b.c',
      rule: 'schema-and-name',
    });
    expect(caught(() => quoteQualifiedName('app.'))).toMatchObject({ identifier: '', rule: 'non-empty' });
  });
});

describe('escapeIdentifier', () => {
  test('only quotes: for names the catalog already accepted', () => {
    expect(escapeIdentifier('Order$Items')).toBe('"Order$Items"');
    expect(escapeIdentifier('a"b')).toBe('"a""b"');
  });
});

describe('identifierProblem and qualifiedNameProblem', () => {
  test('say what is wrong, for configuration issues, and nothing for a valid name', () => {
    expect(identifierProblem('Order$Items')).toBeUndefined();
    expect(identifierProblem('')).toBe('must not be empty');
    expect(identifierProblem('é'.repeat(40))).toMatch(/at most 63 bytes .*\(it is 80\)/);
    expect(qualifiedNameProblem('app.Order$Items')).toBeUndefined();
    expect(qualifiedNameProblem('a.b.c')).toMatch(/at most one dot/);
    expect(qualifiedNameProblem('app.')).toBe('"" must not be empty');
  });
});
