import { describe, expect, test } from 'vitest';
import { MigrationFileError } from './migration-errors.js';
import { parseSqlMigration } from './sql-migration-file.js';

const fileName = '001_billing_expand_add_currency.sql';

async function problem(text: string): Promise<MigrationFileError> {
  try {
    await parseSqlMigration(fileName, text);
  } catch (error) {
    if (error instanceof MigrationFileError) return error;
    throw error;
  }
  throw new Error('expected a MigrationFileError');
}

describe('parseSqlMigration', () => {
  test('reads the up and down sections with statements and their file lines', async () => {
    const parsed = await parseSqlMigration(
      fileName,
      `-- adds the currency column
-- migrate:up
ALTER TABLE invoices ADD COLUMN currency text;
CREATE INDEX CONCURRENTLY invoices_currency_idx ON invoices (currency);

-- migrate:down
DROP INDEX CONCURRENTLY invoices_currency_idx;
ALTER TABLE invoices DROP COLUMN currency;
`,
    );
    expect(parsed.up.statements.map((s) => [s.line, s.sql])).toEqual([
      [3, 'ALTER TABLE invoices ADD COLUMN currency text'],
      [4, 'CREATE INDEX CONCURRENTLY invoices_currency_idx ON invoices (currency)'],
    ]);
    expect(parsed.up.transactional).toBe(false);
    expect(parsed.up.statements.map((s) => s.nonTransactional)).toEqual([
      undefined,
      'CREATE INDEX CONCURRENTLY',
    ]);
    expect(parsed.down?.statements.map((s) => s.line)).toEqual([7, 8]);
    expect(parsed.settings).toEqual({});
  });

  test('a section that only has transactional statements is transactional; an empty down is allowed', async () => {
    const parsed = await parseSqlMigration(fileName, '-- migrate:up\nselect 1;\n-- migrate:down\n');
    expect(parsed.up.transactional).toBe(true);
    expect(parsed.down?.statements).toEqual([]);
  });

  test('no down marker gives an undefined down', async () => {
    const parsed = await parseSqlMigration(fileName, '-- migrate:up\nselect 1;\n');
    expect(parsed.down).toBeUndefined();
  });

  test('lock and statement timeouts can be set per migration before the up marker', async () => {
    const parsed = await parseSqlMigration(
      fileName,
      '-- migrate:lock-timeout 10s\n-- migrate:statement-timeout 2h\n-- migrate:up\nselect 1;',
    );
    expect(parsed.settings).toEqual({ lockTimeout: 10_000, statementTimeout: 7_200_000 });
  });

  test('a marker inside a string or dollar-quoted body is not a marker', async () => {
    const parsed = await parseSqlMigration(
      fileName,
      "-- migrate:up\nselect '\n-- migrate:down\n';\nselect $$\n-- migrate:down\n$$;\n",
    );
    expect(parsed.up.statements).toHaveLength(2);
    expect(parsed.down).toBeUndefined();
  });

  test('a statement the parser cannot read is kept with its parse error: PostgreSQL judges it when it runs', async () => {
    const parsed = await parseSqlMigration(fileName, '-- migrate:up\n\nselect from where;\nselect 1;\n');
    expect(parsed.up.statements.map((s) => [s.line, s.kind, s.sql, s.parseError])).toEqual([
      [3, 'Unparsed', 'select from where', 'syntax error at or near "where"'],
      [4, 'SelectStmt', 'select 1', undefined],
    ]);
    expect(parsed.up.transactional).toBe(true);
  });

  test.each([
    ['select 1;', /missing the "-- migrate:up" marker/, undefined],
    ['-- migrate:up\nselect 1;\n-- migrate:up\n', /"-- migrate:up" appears more than once/, 3],
    ['-- migrate:down\n\n-- migrate:up\nselect 1;', /must come after "-- migrate:up"/, 1],
    ['-- migrate:dwon\n-- migrate:up\nselect 1;', /unknown directive "-- migrate:dwon"/, 1],
    ['-- migrate:lock-timeout soon\n-- migrate:up\n', /needs a duration/, 1],
    ['-- migrate:up\n-- migrate:lock-timeout 1s\n', /must come before "-- migrate:up"/, 2],
    ['create table x ();\n-- migrate:up\nselect 1;', /SQL before "-- migrate:up" would never run/, 1],
    ['-- migrate:up\nBEGIN;\nselect 1;\nCOMMIT;', /transaction control/, 2],
  ])('%j is rejected with the file, line and rule', async (text, message, line) => {
    const error = await problem(text);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(fileName);
    expect(error.fileName).toBe(fileName);
    expect(error.line).toBe(line);
  });
});
