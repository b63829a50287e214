import { describe, expect, test } from 'vitest';
import type { MigrationPhase } from '../migration-phase.js';
import { lintMigration } from './lint-migration.js';

const lint = (sql: string, phase: MigrationPhase = 'expand') =>
  lintMigration({ file: '007_orders_expand_change.sql', phase, sql });

const summary = async (sql: string, phase?: MigrationPhase) =>
  (await lint(sql, phase)).map((f) => [f.line, f.column, f.ruleId]);

describe('statements inside DO blocks are linted like any other, at their own line', () => {
  test('RENAME COLUMN, ALTER COLUMN TYPE and DROP CONSTRAINT inside IF ... END IF', async () => {
    const sql = `-- migrate:up
DO $migration$
DECLARE
  n integer;
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE column_name = 'amount') THEN
    ALTER TABLE orders RENAME COLUMN amount TO total;
    ALTER TABLE orders ALTER COLUMN total TYPE numeric(12, 2);
  END IF;
  ALTER TABLE orders DROP CONSTRAINT orders_amount_check;
END
$migration$;
-- migrate:down
`;
    const findings = await lint(sql);
    expect(findings.map((f) => [f.line, f.column, f.ruleId])).toEqual([
      [7, 17, 'rename-outside-contract'],
      [8, 37, 'alter-column-type'],
      [10, 3, 'drop-outside-contract'],
    ]);
    expect(findings[0]?.message).toBe(
      'RENAME COLUMN orders.amount TO total in an expand migration; it belongs in a contract migration (inside the DO block).',
    );
  });

  test('statements nested in loops, CASE, exception blocks and inner blocks', async () => {
    const sql = `DO $$
BEGIN
  FOR i IN 1..3 LOOP
    BEGIN
      CREATE INDEX orders_a_idx ON orders (a);
    EXCEPTION WHEN duplicate_table THEN
      DROP INDEX orders_a_idx;
    END;
  END LOOP;
  CASE WHEN true THEN ALTER TABLE orders ADD CONSTRAINT c CHECK (a > 0); END CASE;
END $$;`;
    expect(await summary(sql)).toEqual([
      [5, 7, 'create-index-without-concurrently'],
      [7, 7, 'drop-outside-contract'],
      [7, 7, 'drop-index-without-concurrently'],
      [10, 46, 'expand-not-additive'],
      [10, 46, 'add-check-without-not-valid'],
    ]);
  });

  test('EXECUTE of a constant string is linted at the string; a computed one is a do-block warning', async () => {
    const sql = `DO $$ BEGIN
  EXECUTE 'ALTER TABLE orders RENAME TO purchases';
  EXECUTE E'ALTER TABLE orders\\n DROP COLUMN note';
  EXECUTE format('ALTER TABLE %I DROP COLUMN x', 'orders');
END $$;`;
    const findings = await lint(sql);
    expect(findings.map((f) => [f.line, f.column, f.ruleId, f.severity])).toEqual([
      [2, 24, 'rename-outside-contract', 'error'],
      [3, 13, 'drop-outside-contract', 'error'],
      [4, 11, 'do-block', 'warning'],
    ]);
    expect(findings[2]?.message).toBe(
      'DO block: EXECUTE runs a string computed at run time, so what it runs is not linted.',
    );
  });

  test('the body may be any string: a tagged dollar quote, a quoted string, LANGUAGE before it', async () => {
    expect(
      await summary(
        "DO LANGUAGE plpgsql 'BEGIN RAISE NOTICE ''it''''s''; ALTER TABLE orders DROP COLUMN y; END';",
      ),
    ).toEqual([[1, 54, 'drop-outside-contract']]);
    expect(
      await summary('DO $a$ BEGIN PERFORM $b$ x $b$; ALTER TABLE orders DROP COLUMN y; END $a$;'),
    ).toEqual([[1, 33, 'drop-outside-contract']]);
  });

  test('positions stay right after multi-byte characters and CRLF line ends', async () => {
    const sql =
      "DO $$\r\nBEGIN\r\n  RAISE NOTICE 'Größe ✓';  ALTER TABLE orders RENAME COLUMN größe TO size;\r\nEND $$;";
    expect(await summary(sql)).toEqual([[3, 40, 'rename-outside-contract']]);
  });

  test('what a DO block does counts for later statements: a check validated inside one allows SET NOT NULL', async () => {
    const files = `DO $$ BEGIN
  ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_nn;
END $$;
ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;`;
    const findings = await lintMigration({
      file: '009_orders_validate_currency.sql',
      phase: 'validate',
      sql: `ALTER TABLE orders ADD CONSTRAINT orders_currency_nn CHECK (currency IS NOT NULL) NOT VALID;`,
    });
    expect(findings).toEqual([]);
    // In one file the VALIDATE inside the DO block runs under the ADD CONSTRAINT's lock.
    const together = await lint(
      `ALTER TABLE orders ADD CONSTRAINT orders_currency_nn CHECK (currency IS NOT NULL) NOT VALID;\n${files}`,
      'validate',
    );
    expect(together.map((f) => [f.line, f.ruleId])).toEqual([[3, 'validate-in-locking-transaction']]);
  });

  test('a DO block in another language, or one the PL/pgSQL parser cannot read, is a do-block warning', async () => {
    expect(await summary("DO LANGUAGE plpython3u $$ plpy.execute('DROP TABLE orders') $$;")).toEqual([
      [1, 1, 'do-block'],
    ]);
    expect(await summary('DO $$ BEGIN IF THEN END; END $$;')).toEqual([[1, 1, 'do-block']]);
  });

  test('a waiver above the DO block applies to the findings inside it', async () => {
    const sql = `-- strata:allow rename-outside-contract orders is renamed behind a view the old code reads
DO $$ BEGIN ALTER TABLE orders RENAME TO purchases; END $$;`;
    expect(await lint(sql)).toEqual([]);
  });
});

describe('PL/pgSQL function bodies', () => {
  const trigger = (waiver: string) => `${waiver}
CREATE FUNCTION orders_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE order_totals SET n = n + 1;
  ALTER TABLE orders DROP COLUMN legacy;
  RETURN NEW;
END $$;`;

  test('in a file that may define the function, its schema changes are linted; its queries are not', async () => {
    const findings = await lint(
      trigger('-- strata:allow no-function counted in the database for the reporting job'),
    );
    expect(findings.map((f) => [f.line, f.ruleId, f.message])).toEqual([
      [
        5,
        'drop-outside-contract',
        'DROP COLUMN orders.legacy in an expand migration; it belongs in a contract migration (inside function orders_touch()).',
      ],
    ]);
  });

  test('a function the file may not define is one no-function finding, not one per statement', async () => {
    expect((await lint(trigger(''))).map((f) => f.ruleId)).toEqual(['no-function']);
  });

  test('dynamic SQL in a function body is not a do-block warning', async () => {
    const sql = `-- strata:allow no-function partition maintenance for the reporting job
CREATE FUNCTION add_partition(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I PARTITION OF events FOR VALUES IN (%L)', name, name);
END $$;`;
    expect(await lint(sql)).toEqual([]);
  });

  test('SQL-language and BEGIN ATOMIC functions have no PL/pgSQL body to read', async () => {
    const sql = `-- strata:allow no-function reporting view helper
CREATE FUNCTION total(o orders) RETURNS numeric LANGUAGE sql AS $$ SELECT o.amount $$;`;
    expect(await lint(sql)).toEqual([]);
  });
});
