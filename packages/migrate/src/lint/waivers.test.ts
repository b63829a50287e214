import { describe, expect, test } from 'vitest';
import { lintMigration } from './lint-migration.js';

const lint = (sql: string) => lintMigration({ file: '001_orders_expand_change.sql', phase: 'expand', sql });

const summary = async (sql: string) => (await lint(sql)).map((finding) => [finding.ruleId, finding.line]);

describe('waivers: -- strata:allow <rule-id> <reason>', () => {
  test('a waiver with a reason on the line above waives that finding of the next statement', async () => {
    const sql = [
      '-- strata:allow create-index-without-concurrently orders has 40 rows (lookup table)',
      'CREATE INDEX orders_customer_idx ON orders (customer_id);',
    ].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  test('a waiver at the end of the statement’s line waives it too', async () => {
    const sql =
      'CREATE INDEX orders_customer_idx ON orders (customer_id); -- strata:allow create-index-without-concurrently table is tiny';
    expect(await lint(sql)).toEqual([]);
  });

  test('the examples in LINT.md waive what they say', async () => {
    const sql = [
      '-- strata:allow create-index-without-concurrently countries has 250 rows and is never written',
      'CREATE INDEX countries_name_idx ON countries (name);',
      '',
      'ALTER TABLE orders ALTER COLUMN note TYPE text; -- strata:allow alter-column-type varchar(200) → text is binary-compatible, no rewrite',
    ].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  test('a waiver inside a multi-line statement applies to that statement', async () => {
    const sql = [
      'ALTER TABLE orders',
      '  -- strata:allow add-check-without-not-valid orders is empty until launch',
      '  ADD CONSTRAINT orders_total_positive CHECK (total > 0);',
    ].join('\n');
    const findings = await lintMigration({ file: '003_orders_validate_total.sql', phase: 'validate', sql });
    expect(findings).toEqual([]);
  });

  test('a waiver covers only its own statement and its own rule', async () => {
    const sql = [
      '-- strata:allow create-index-without-concurrently small table',
      'CREATE INDEX a_idx ON orders (a);',
      'CREATE INDEX b_idx ON orders (b);',
      '-- strata:allow prefer-text legacy format',
      'ALTER TABLE orders ADD COLUMN c timestamp;',
    ].join('\n');
    expect(await summary(sql)).toEqual([
      ['create-index-without-concurrently', 3],
      ['waiver-unused', 4],
      ['prefer-timestamptz', 5],
    ]);
  });

  test('a waiver without a reason is an error and waives nothing', async () => {
    const sql = '-- strata:allow create-index-without-concurrently\nCREATE INDEX a_idx ON orders (a);';
    const findings = await lint(sql);
    expect(findings.map((f) => [f.ruleId, f.line, f.severity])).toEqual([
      ['waiver-missing-reason', 1, 'error'],
      ['create-index-without-concurrently', 2, 'error'],
    ]);
    expect(findings[0]?.message).toContain('gives no reason');
  });

  test('a waiver naming an unknown rule, no rule, or a rule that cannot be waived is an error', async () => {
    const sql = [
      '-- strata:allow create-index-concurrently typo in the id',
      '-- strata:allow',
      '-- strata:allow syntax-error trust me',
      'SELECT 1;',
    ].join('\n');
    const findings = await lint(sql);
    expect(findings.map((f) => [f.ruleId, f.line, f.severity])).toEqual([
      ['waiver-unknown-rule', 1, 'error'],
      ['waiver-unknown-rule', 2, 'error'],
      ['waiver-unknown-rule', 3, 'error'],
    ]);
    expect(findings[0]?.message).toBe('Waiver names unknown rule "create-index-concurrently".');
    expect(findings[2]?.message).toBe('Rule "syntax-error" cannot be waived.');
  });

  test('a waiver that waives nothing is a warning', async () => {
    const sql =
      '-- strata:allow lock-table not needed any more\nCREATE INDEX CONCURRENTLY a_idx ON orders (a);';
    expect(await lint(sql)).toEqual([
      expect.objectContaining({ ruleId: 'waiver-unused', line: 1, severity: 'warning' }),
    ]);
  });

  test('text that looks like a waiver inside a string is not a waiver', async () => {
    const sql =
      "CREATE INDEX a_idx ON orders (a); COMMENT ON INDEX a_idx IS '-- strata:allow create-index-without-concurrently x';";
    expect(await summary(sql)).toEqual([['create-index-without-concurrently', 1]]);
  });

  test('waivers in the down section do not apply to the up section', async () => {
    const sql = [
      '-- migrate:up',
      'CREATE INDEX a_idx ON orders (a);',
      '-- migrate:down',
      '-- strata:allow create-index-without-concurrently nope',
      'DROP INDEX a_idx;',
    ].join('\n');
    expect(await summary(sql)).toEqual([['create-index-without-concurrently', 2]]);
  });
});
