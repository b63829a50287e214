import { describe, expect, test } from 'vitest';
import { describeStatement, sanitizeQueryText } from './statement-description.js';

describe('describeStatement', () => {
  test.each([
    ['SELECT id, name FROM accounts WHERE id = $1', 'SELECT', 'accounts'],
    ['select "id" from "public"."orders" where "id" = ?', 'SELECT', 'public.orders'],
    ['  (SELECT 1 FROM users) UNION (SELECT 2 FROM teams)', 'SELECT', 'users'],
    ['SELECT count(*) FROM generate_series(1, 10)', 'SELECT', undefined],
    ['SELECT extract(year FROM created_at) FROM orders', 'SELECT', 'orders'],
    ['SELECT * FROM (SELECT 1) AS sub', 'SELECT', undefined],
    ['SELECT * FROM ONLY parents', 'SELECT', 'parents'],
    ['insert into "order_items" ("order_id", "sku") values ($1, $2) returning *', 'INSERT', 'order_items'],
    ['UPDATE accounts SET balance = balance - $1 WHERE id = $2', 'UPDATE', 'accounts'],
    ['DELETE FROM sessions WHERE expires_at < now()', 'DELETE', 'sessions'],
    [
      'WITH moved AS (DELETE FROM inbox RETURNING *) INSERT INTO archive SELECT * FROM moved',
      'INSERT',
      'archive',
    ],
    ['COPY "orders" ("id", "total") FROM STDIN BINARY', 'COPY', 'orders'],
    ['TRUNCATE TABLE events', 'TRUNCATE', 'events'],
    ['BEGIN ISOLATION LEVEL SERIALIZABLE', 'BEGIN', undefined],
    ['-- a comment first\nCOMMIT', 'COMMIT', undefined],
    ['SELECT 1', 'SELECT', undefined],
    ['SELECT 1; SELECT * FROM later', 'SELECT', undefined],
    ['', undefined, undefined],
  ])('%j: %s %s', (text, operation, collection) => {
    const description = describeStatement(text);
    expect(description.operation).toBe(operation);
    expect(description.collection).toBe(collection);
  });

  test('the span name is "{operation} {table}", else the operation, else the database system', () => {
    expect(describeStatement('SELECT * FROM accounts').spanName).toBe('SELECT accounts');
    expect(describeStatement('ROLLBACK').spanName).toBe('ROLLBACK');
    expect(describeStatement('   ').spanName).toBe('postgresql');
  });

  test('repeated statements are described once', () => {
    const text = 'SELECT id FROM cached_table WHERE id = $1';
    expect(describeStatement(text)).toBe(describeStatement(text));
  });
});

describe('sanitizeQueryText', () => {
  test('replaces every kind of literal with ?, keeping placeholders, identifiers and comments', () => {
    expect(
      sanitizeQueryText(
        `SELECT "it's", 'O''Brien', E'a\\'b', 42, 3.5e3, .5, x'ff', $body$ secret $body$, $$ also $$ /* keep */ FROM t1 WHERE a = $1 AND b = ? -- done`,
      ),
    ).toBe(`SELECT "it's", ?, ?, ?, ?, ?, ?, ?, ? /* keep */ FROM t1 WHERE a = $1 AND b = ? -- done`);
  });

  test('leaves digits inside identifiers alone', () => {
    expect(sanitizeQueryText('SELECT col2 FROM table_3 LIMIT 10')).toBe('SELECT col2 FROM table_3 LIMIT ?');
  });

  test('an unterminated literal hides the rest of the text', () => {
    expect(sanitizeQueryText("SELECT 'never closed FROM secrets")).toBe('SELECT ?');
  });
});
