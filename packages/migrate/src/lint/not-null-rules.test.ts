import { describe, expect, test } from 'vitest';
import { lintMigration, lintMigrations } from './lint-migration.js';

const rules = async (files: { file: string; sql: string }[]) =>
  (await lintMigrations(files)).map((f) => [f.file, f.line, f.ruleId]);

describe('not-null-before-backfill', () => {
  test('a CHECK (col IS NOT NULL) NOT VALID in the expand that adds the column (the old README pattern)', async () => {
    const findings = await lintMigration({
      file: '002_billing_expand_add_currency.sql',
      phase: 'expand',
      sql: `-- migrate:up
alter table invoices add column currency text;
alter table invoices add constraint invoices_currency_not_null check (currency is not null) not valid;
`,
    });
    expect(findings).toEqual([
      expect.objectContaining({
        line: 3,
        ruleId: 'not-null-before-backfill',
        severity: 'error',
        message:
          'CHECK (... IS NOT NULL) NOT VALID invoices_currency_not_null on invoices requires invoices.currency, added without a DEFAULT (line 2), before a backfill filled it: existing rows hold NULL, and PostgreSQL checks every new row version — each UPDATE of a row not yet backfilled and each INSERT that leaves the column out fails.',
      }),
    ]);
  });

  test('in a later expand file, in the same ALTER TABLE, or as SET NOT NULL', async () => {
    expect(
      await rules([
        {
          file: '001_billing_expand_add_currency.sql',
          sql: 'ALTER TABLE invoices ADD COLUMN currency text;',
        },
        {
          file: '002_billing_expand_currency_check.sql',
          sql: 'ALTER TABLE invoices ADD CONSTRAINT c CHECK (currency IS NOT NULL AND total > 0) NOT VALID;',
        },
        {
          file: '003_tax_expand_add_rate.sql',
          sql: 'ALTER TABLE invoices ADD COLUMN rate numeric, ADD CONSTRAINT r CHECK (rate IS NOT NULL) NOT VALID;',
        },
      ]),
    ).toEqual([
      ['002_billing_expand_currency_check.sql', 1, 'not-null-before-backfill'],
      ['003_tax_expand_add_rate.sql', 1, 'not-null-before-backfill'],
    ]);
  });

  test('after a backfill — an UPDATE that sets the column, or a .ts backfill of its scope — the check may come', async () => {
    const expand = {
      file: '001_billing_expand_add_currency.sql',
      sql: "ALTER TABLE invoices ADD COLUMN currency text;\nALTER TABLE invoices ALTER COLUMN currency SET DEFAULT 'EUR';",
    };
    const check = {
      file: '003_billing_validate_currency_check.sql',
      sql: 'ALTER TABLE invoices ADD CONSTRAINT c CHECK (currency IS NOT NULL) NOT VALID;',
    };
    const sqlBackfill = {
      file: '002_billing_backfill_currency.sql',
      sql: "UPDATE invoices SET currency = 'EUR' WHERE id BETWEEN 1 AND 1000 AND currency IS NULL;",
    };
    const moduleBackfill = { file: '002_billing_backfill_currency.ts', sql: '' };
    const otherScope = { file: '002_tax_backfill_rates.ts', sql: '' };
    expect(await rules([expand, sqlBackfill, check])).toEqual([]);
    expect(await rules([expand, moduleBackfill, check])).toEqual([]);
    expect(await rules([expand, otherScope, check])).toEqual([
      ['003_billing_validate_currency_check.sql', 1, 'not-null-before-backfill'],
    ]);
  });

  test('a column added with a DEFAULT, or to a table created in the same file, has nothing to backfill', async () => {
    const sql = [
      "ALTER TABLE invoices ADD COLUMN currency text DEFAULT 'EUR';",
      'ALTER TABLE invoices ADD CONSTRAINT c CHECK (currency IS NOT NULL) NOT VALID;',
      'CREATE TABLE notes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);',
      'ALTER TABLE notes ADD COLUMN body text, ADD CONSTRAINT b CHECK (body IS NOT NULL);',
    ].join('\n');
    expect(await lintMigration({ file: '001_billing_expand_currency.sql', phase: 'expand', sql })).toEqual(
      [],
    );
  });

  test('a check that NULL satisfies is not a NOT NULL check', async () => {
    const sql =
      "ALTER TABLE invoices ADD COLUMN currency text;\nALTER TABLE invoices ADD CONSTRAINT c CHECK (currency IN ('EUR', 'USD')) NOT VALID;";
    expect(await lintMigration({ file: '001_billing_expand_currency.sql', phase: 'expand', sql })).toEqual(
      [],
    );
  });
});

describe('not-null-without-default', () => {
  const expand = {
    file: '001_billing_expand_add_currency.sql',
    sql: 'ALTER TABLE invoices ADD COLUMN currency text;',
  };
  const backfill = { file: '002_billing_backfill_currency.ts', sql: '' };

  test('a NOT NULL check before the deploy on a column without a default warns: old code inserts NULL', async () => {
    const validate = {
      file: '003_billing_validate_currency_check.sql',
      sql: 'ALTER TABLE invoices ADD CONSTRAINT c CHECK (currency IS NOT NULL) NOT VALID;',
    };
    const findings = await lintMigrations([expand, backfill, validate]);
    expect(findings).toEqual([
      expect.objectContaining({
        file: '003_billing_validate_currency_check.sql',
        ruleId: 'not-null-without-default',
        severity: 'warning',
        message:
          'CHECK (... IS NOT NULL) NOT VALID c on invoices requires invoices.currency, added without a DEFAULT (001_billing_expand_add_currency.sql:1): the code deployed before the column existed inserts rows without it, and those INSERTs fail.',
      }),
    ]);
  });

  test('not with a default set in expand, nor in a contract (after the deploy)', async () => {
    const withDefault = {
      ...expand,
      sql: `${expand.sql}\nALTER TABLE invoices ALTER COLUMN currency SET DEFAULT 'EUR';`,
    };
    const validate = {
      file: '003_billing_validate_currency_check.sql',
      sql: 'ALTER TABLE invoices ADD CONSTRAINT c CHECK (currency IS NOT NULL) NOT VALID;',
    };
    expect(await rules([withDefault, backfill, validate])).toEqual([]);
    const contract = { file: '004_billing_contract_currency_not_null.sql', sql: validate.sql };
    expect((await rules([expand, backfill, contract])).map(([, , ruleId]) => ruleId)).not.toContain(
      'not-null-without-default',
    );
  });
});
