import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { lintMigration, lintMigrations } from './lint-migration.js';
import { LINT_RULES } from './lint-rules.js';

describe('lintMigration', () => {
  test('lints only the up section, with lines counted in the whole file', async () => {
    const sql = [
      '-- migrate:lock-timeout 5s',
      '-- migrate:up',
      'ALTER TABLE orders ADD COLUMN currency text;',
      '',
      'CREATE INDEX orders_currency_idx ON orders (currency);',
      '',
      '-- migrate:down',
      'DROP INDEX orders_currency_idx;',
      'ALTER TABLE orders DROP COLUMN currency;',
    ].join('\n');
    const findings = await lintMigration({ file: 'db/001_orders_expand_currency.sql', phase: 'expand', sql });
    expect(findings).toEqual([
      expect.objectContaining({
        file: 'db/001_orders_expand_currency.sql',
        line: 5,
        column: 1,
        ruleId: 'create-index-without-concurrently',
      }),
    ]);
  });

  test('lines and columns are right after multi-byte characters', async () => {
    const sql =
      "-- migrate:up\nCOMMENT ON TABLE orders IS 'Bestellungen für Kunden ✓';\nALTER TABLE orders ADD COLUMN é text, ADD COLUMN x uuid DEFAULT gen_random_uuid();";
    const [finding] = await lintMigration({ file: 'f.sql', phase: 'expand', sql });
    expect(finding).toMatchObject({ ruleId: 'volatile-default-on-new-column', line: 3, column: 57 });
  });

  test('a statement the parser cannot read is a warning on its line; the others are still linted', async () => {
    const sql =
      '-- migrate:up\nALTER TABLE orders ADD COLUMN a text;\nALTER TABEL orders ADD COLUMN b text;\nCREATE INDEX i ON orders (a);';
    const findings = await lintMigration({ file: 'f.sql', phase: 'expand', sql });
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'syntax-error',
        line: 3,
        severity: 'warning',
        message: expect.stringContaining('syntax error at or near "TABEL"'),
      }),
      expect.objectContaining({ ruleId: 'create-index-without-concurrently', line: 4 }),
    ]);
  });

  test('transaction control is an error: the migrator owns transactions', async () => {
    const findings = await lintMigration({
      file: 'f.sql',
      phase: 'expand',
      sql: 'BEGIN;\nALTER TABLE orders ADD COLUMN a text;\nCOMMIT;',
    });
    expect(findings.map((f) => [f.ruleId, f.line])).toEqual([
      ['transaction-control', 1],
      ['transaction-control', 3],
    ]);
  });

  test('SQL containing the word ERROR lints normally', async () => {
    const sql = "CREATE TYPE job_status AS ENUM ('OK', 'ERROR');\nCREATE INDEX jobs_idx ON jobs (status);";
    const findings = await lintMigration({ file: 'f.sql', phase: 'expand', sql });
    expect(findings.map((f) => [f.ruleId, f.line])).toEqual([['create-index-without-concurrently', 2]]);
  });

  test('an empty up section has no findings', async () => {
    expect(
      await lintMigration({ file: 'f.sql', phase: 'expand', sql: '-- migrate:up\n-- migrate:down\n' }),
    ).toEqual([]);
  });
});

describe('lintMigrations', () => {
  test('reads each phase from the file name and reports invalid names', async () => {
    const findings = await lintMigrations([
      { file: 'migrations/002_billing_backfill_currency.sql', sql: 'ALTER TABLE orders ADD COLUMN b text;' },
      { file: 'migrations/orders.sql', sql: 'CREATE INDEX i ON orders (a);' },
      { file: 'migrations/003_billing_backfill_fill.ts', sql: 'export async function up() {}' },
    ]);
    expect(findings.map((f) => [f.file, f.ruleId, f.line])).toEqual([
      ['migrations/002_billing_backfill_currency.sql', 'backfill-not-data-only', 1],
      ['migrations/orders.sql', 'invalid-migration-name', 1],
      ['migrations/orders.sql', 'create-index-without-concurrently', 1],
    ]);
  });

  test('a check validated in an earlier migration makes SET NOT NULL in a later one safe, in sequence order', async () => {
    const files = [
      {
        file: '005_billing_validate_currency_not_null.sql',
        sql: 'ALTER TABLE orders ALTER COLUMN currency SET NOT NULL;',
      },
      {
        file: '003_billing_expand_currency_check.sql',
        sql: 'ALTER TABLE orders ADD CONSTRAINT orders_currency_nn CHECK (currency IS NOT NULL) NOT VALID;',
      },
      {
        file: '004_billing_validate_currency_check.sql',
        sql: 'ALTER TABLE orders VALIDATE CONSTRAINT orders_currency_nn;',
      },
    ];
    expect(await lintMigrations(files)).toEqual([]);
    // Without the validation the SET NOT NULL scans the table under ACCESS EXCLUSIVE.
    const findings = await lintMigrations([files[0], files[1]].flatMap((file) => (file ? [file] : [])));
    expect(findings.map((f) => [f.file, f.ruleId])).toEqual([
      ['005_billing_validate_currency_not_null.sql', 'set-not-null-without-check'],
    ]);
  });

  test('a table created by an earlier pending migration (absent from existingTables) still follows its phases', async () => {
    const files = [
      {
        file: '001_billing_expand_invoices.sql',
        sql: 'CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, currency text);',
      },
      {
        file: '004_billing_validate_currency_not_null.sql',
        sql: [
          'ALTER TABLE invoices ADD CONSTRAINT invoices_currency_nn CHECK (currency IS NOT NULL) NOT VALID;',
          'ALTER TABLE invoices VALIDATE CONSTRAINT invoices_currency_nn;',
          'ALTER TABLE invoices ALTER COLUMN currency SET NOT NULL;',
        ].join('\n'),
      },
      // Additions to a new table are fine in expand even when they would tighten a live one.
      {
        file: '005_billing_expand_invoice_checks.sql',
        sql: 'ALTER TABLE invoices ADD CONSTRAINT invoices_currency_len CHECK (length(currency) = 3);',
      },
    ];
    expect(await lintMigrations(files, { existingTables: ['orders'] })).toEqual([]);
    // With invoices live, 005 tightens a table in an expand migration and blocks it while checking.
    const live = await lintMigrations(files, { existingTables: ['orders', 'invoices'] });
    expect(live.map((f) => [f.file, f.ruleId])).toEqual([
      ['004_billing_validate_currency_not_null.sql', 'validate-in-locking-transaction'],
      ['005_billing_expand_invoice_checks.sql', 'expand-not-additive'],
      ['005_billing_expand_invoice_checks.sql', 'add-check-without-not-valid'],
    ]);
  });

  test('existingTables applies to every file unless a file overrides it', async () => {
    const findings = await lintMigrations(
      [
        { file: '001_a_expand_x.sql', sql: 'CREATE INDEX i1 ON orders (a);' },
        { file: '002_a_expand_y.sql', sql: 'CREATE INDEX i2 ON orders (a);', existingTables: ['orders'] },
      ],
      { existingTables: [] },
    );
    expect(findings.map((f) => f.file)).toEqual(['002_a_expand_y.sql']);
  });
});

describe('the rule catalogue', () => {
  test('rule ids are unique, kebab-case, and every rule says what to do instead', () => {
    const ids = LINT_RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of LINT_RULES) {
      expect(rule.id).toMatch(/^[a-z]+(?:-[a-z]+)*$/);
      expect(rule.description.length).toBeGreaterThan(10);
      expect(rule.safeAlternative.length).toBeGreaterThan(10);
    }
  });

  test('LINT.md documents every rule', async () => {
    const doc = await readFile(new URL('../../LINT.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^### `([a-z-]+)`/gm)].map((match) => match[1]);
    expect(documented).toEqual(LINT_RULES.map((rule) => rule.id));
  });
});
