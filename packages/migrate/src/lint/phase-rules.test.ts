import { describe, expect, test } from 'vitest';
import type { MigrationPhase } from '../migration-phase.js';
import { lintMigration } from './lint-migration.js';

const lint = (phase: MigrationPhase, sql: string) =>
  lintMigration({ file: `001_orders_${phase}_change.sql`, phase, sql });

const ruleIdsAndLines = async (phase: MigrationPhase, sql: string) =>
  (await lint(phase, sql)).map((finding) => [finding.ruleId, finding.line]);

describe('phase fit: each phase does only its kind of change', () => {
  test.each([
    [
      'CREATE TABLE',
      'CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);',
    ],
    ['a nullable column', 'ALTER TABLE orders ADD COLUMN currency text;'],
    [
      'a column with a constant default',
      "ALTER TABLE orders ADD COLUMN currency text NOT NULL DEFAULT 'EUR';",
    ],
    ['an index concurrently', 'CREATE INDEX CONCURRENTLY orders_currency_idx ON orders (currency);'],
    ['a check NOT VALID', "ALTER TABLE orders ADD CONSTRAINT orders_c CHECK (currency <> '') NOT VALID;"],
    ['an enum value', "ALTER TYPE order_status ADD VALUE 'refunded';"],
    [
      'DROP NOT NULL (old code stops writing soon)',
      'ALTER TABLE orders ALTER COLUMN legacy_price DROP NOT NULL;',
    ],
    [
      'a comment, a setting and a grant',
      "COMMENT ON TABLE orders IS 'x';\nSET lock_timeout = '2s';\nGRANT SELECT ON orders TO reporting;",
    ],
  ])('expand may add %s', async (_name, sql) => {
    expect(await lint('expand', sql)).toEqual([]);
  });

  test.each([
    ['UPDATE', "UPDATE orders SET currency = 'EUR' WHERE id BETWEEN 1 AND 1000;", 'a backfill migration'],
    ['INSERT', "INSERT INTO currencies (code) VALUES ('EUR');", 'a backfill migration'],
    ['VALIDATE CONSTRAINT', 'ALTER TABLE orders VALIDATE CONSTRAINT orders_c;', 'a validate migration'],
    [
      'ADD CONSTRAINT ... USING INDEX',
      'ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE USING INDEX orders_ref_idx;',
      'a validate migration',
    ],
  ])('expand may not %s', async (_name, sql, belongsIn) => {
    const findings = await lint('expand', sql);
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'expand-not-additive',
        line: 1,
        severity: 'error',
        message: expect.stringContaining(`it belongs in ${belongsIn}`),
      }),
    ]);
  });

  test('backfill only changes data', async () => {
    const safe = [
      "UPDATE orders SET currency = 'EUR' WHERE id >= 1 AND id < 10000;",
      "INSERT INTO currencies (code) VALUES ('EUR') ON CONFLICT DO NOTHING;",
      'DELETE FROM currencies WHERE code = $$XXX$$;',
      'ANALYZE orders;',
    ].join('\n');
    expect(await lint('backfill', safe)).toEqual([]);
    const unsafe =
      'ALTER TABLE orders ADD COLUMN currency text;\nCREATE INDEX CONCURRENTLY orders_currency_idx ON orders (currency);';
    expect(await ruleIdsAndLines('backfill', unsafe)).toEqual([
      ['backfill-not-data-only', 1],
      ['backfill-not-data-only', 2],
    ]);
  });

  test('validate only validates and tightens', async () => {
    const safe = [
      'ALTER TABLE orders ADD CONSTRAINT orders_currency_nn CHECK (currency IS NOT NULL) NOT VALID;',
      'ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_nn;',
      'ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;',
      'CREATE UNIQUE INDEX CONCURRENTLY orders_ref_idx ON orders (reference);',
      'ALTER TABLE orders ADD CONSTRAINT orders_ref_key UNIQUE USING INDEX orders_ref_idx;',
      'SELECT count(*) FROM orders WHERE currency IS NULL;',
    ].join('\n');
    expect(await lint('validate', safe)).toEqual([]);
    const unsafe = [
      'ALTER TABLE orders ADD COLUMN note text;',
      "UPDATE orders SET currency = 'EUR' WHERE id = 1;",
      'CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);',
    ].join('\n');
    expect(await ruleIdsAndLines('validate', unsafe)).toEqual([
      ['validate-not-tightening', 1],
      ['validate-not-tightening', 2],
      ['validate-not-tightening', 3],
    ]);
  });

  test('contract only removes or renames', async () => {
    const safe = [
      'ALTER TABLE orders DROP COLUMN legacy_price;',
      'ALTER TABLE orders DROP CONSTRAINT orders_currency_nn;',
      'DROP INDEX CONCURRENTLY orders_legacy_idx;',
      'ALTER TABLE orders RENAME COLUMN amount TO total;',
      'DROP TABLE legacy_orders;',
      'ALTER TABLE orders ALTER COLUMN note DROP DEFAULT;',
    ].join('\n');
    expect(await lint('contract', safe)).toEqual([]);
    const unsafe = 'ALTER TABLE orders ADD COLUMN note text;\nUPDATE orders SET note = NULL WHERE id = 1;';
    expect(await ruleIdsAndLines('contract', unsafe)).toEqual([
      ['contract-not-removal', 1],
      ['contract-not-removal', 2],
    ]);
  });

  test.each(['expand', 'backfill', 'validate'] as const)(
    'a DROP or a RENAME in %s is an error naming what is dropped or renamed',
    async (phase) => {
      const sql = [
        'ALTER TABLE orders DROP COLUMN legacy_price;',
        'DROP TABLE legacy_orders;',
        'TRUNCATE audit_log;',
        'ALTER TABLE orders RENAME COLUMN amount TO total;',
        'ALTER TABLE orders RENAME TO purchases;',
        "ALTER TYPE order_status RENAME VALUE 'done' TO 'completed';",
      ].join('\n');
      const findings = await lint(phase, sql);
      expect(findings.map((f) => [f.ruleId, f.line])).toEqual([
        ['drop-outside-contract', 1],
        ['drop-outside-contract', 2],
        ['drop-outside-contract', 3],
        ['rename-outside-contract', 4],
        ['rename-outside-contract', 5],
        ['rename-outside-contract', 6],
      ]);
      expect(findings[0]?.message).toBe(
        `DROP COLUMN orders.legacy_price in ${phase === 'expand' ? 'an' : 'a'} ${phase} migration; it belongs in a contract migration.`,
      );
      expect(findings[1]?.message).toContain('DROP TABLE legacy_orders');
      expect(findings[3]?.message).toContain('RENAME COLUMN orders.amount TO total');
    },
  );

  test('each sub-command of one ALTER TABLE is judged on its own', async () => {
    const findings = await lint(
      'expand',
      'ALTER TABLE orders\n  ADD COLUMN currency text,\n  DROP COLUMN legacy_price;',
    );
    expect(findings.map((f) => [f.ruleId, f.message])).toEqual([
      [
        'drop-outside-contract',
        'DROP COLUMN orders.legacy_price in an expand migration; it belongs in a contract migration.',
      ],
    ]);
  });

  test('anything done to a table created in the same migration is part of creating it', async () => {
    const sql = [
      'CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric);',
      'ALTER TABLE invoices ADD CONSTRAINT invoices_total_nn CHECK (total IS NOT NULL);',
      'ALTER TABLE invoices ALTER COLUMN total SET NOT NULL;',
    ].join('\n');
    expect(await lint('expand', sql)).toEqual([]);
  });
});
