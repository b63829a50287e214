import { describe, expect, test } from 'vitest';
import { lintMigration } from './lint-migration.js';

const lint = (sql: string) =>
  lintMigration({ file: '002_orders_backfill_currency.sql', phase: 'backfill', sql });

describe('backfill shape: unbounded-update (warning)', () => {
  test.each([
    ['no WHERE clause', "UPDATE orders SET currency = 'EUR';"],
    ['only a null test', "UPDATE orders SET currency = 'EUR' WHERE currency IS NULL;"],
    [
      'a join on other columns',
      'UPDATE orders o SET currency = c.currency FROM customers c WHERE o.customer_id = c.id;',
    ],
    [
      'a sub-select without LIMIT',
      "UPDATE orders SET currency = 'EUR' WHERE id IN (SELECT id FROM orders WHERE currency IS NULL);",
    ],
    ['only a lower bound', "UPDATE orders SET currency = 'EUR' WHERE id > 1000;"],
  ])('flags an UPDATE with %s', async (_name, sql) => {
    const findings = await lint(`-- fill the new column\n${sql}`);
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'unbounded-update',
        line: 2,
        severity: 'warning',
        lock: expect.stringContaining('Row locks on every matching row of orders'),
        safeAlternative: expect.stringContaining('batchUpdate'),
      }),
    ]);
  });

  test.each([
    [
      'a batch sub-select with LIMIT',
      "UPDATE orders SET currency = 'EUR' WHERE id IN (SELECT id FROM orders WHERE currency IS NULL LIMIT 1000);",
    ],
    ['a key range with parameters', "UPDATE orders SET currency = 'EUR' WHERE id >= $1 AND id < $2;"],
    [
      'a key range written the other way round',
      "UPDATE orders SET currency = 'EUR' WHERE 1000 <= id AND 2000 > id;",
    ],
    ['BETWEEN', "UPDATE orders SET currency = 'EUR' WHERE id BETWEEN 1 AND 1000;"],
    ['a key list', "UPDATE orders SET currency = 'EUR' WHERE id = ANY('{1,2,3}'::bigint[]);"],
    ['a single key', "UPDATE orders SET currency = 'EUR' WHERE id = 42;"],
  ])('passes an UPDATE bounded by %s', async (_name, sql) => {
    expect(await lint(sql)).toEqual([]);
  });

  test('an UPDATE of a table created in the same migration is not a backfill of live data', async () => {
    const sql = "CREATE TABLE staging (id bigint, v text);\nUPDATE staging SET v = 'x';";
    const findings = await lintMigration({ file: '001_orders_expand_staging.sql', phase: 'expand', sql });
    expect(findings.map((f) => f.ruleId)).toEqual(['expand-not-additive']);
  });
});
