import { describe, expect, test } from 'vitest';
import { lintMigration } from './lint-migration.js';

const lint = (sql: string) => lintMigration({ file: '001_orders_expand_change.sql', phase: 'expand', sql });

describe('project rules: no stored logic in the database', () => {
  test.each([
    ['no-function', 'CREATE FUNCTION order_total(bigint) RETURNS numeric LANGUAGE sql AS $$ SELECT 1 $$;'],
    [
      'no-function',
      'CREATE OR REPLACE FUNCTION order_total(bigint) RETURNS numeric\nLANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;',
    ],
    ['no-procedure', 'CREATE PROCEDURE archive_orders() LANGUAGE sql AS $$ DELETE FROM orders $$;'],
    [
      'no-trigger',
      'CREATE TRIGGER orders_audit AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION audit();',
    ],
    [
      'no-trigger',
      'CREATE CONSTRAINT TRIGGER orders_check AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION f();',
    ],
    ['no-trigger', 'CREATE EVENT TRIGGER no_drops ON sql_drop EXECUTE FUNCTION f();'],
    ['no-rule', 'CREATE RULE orders_no_delete AS ON DELETE TO orders DO INSTEAD NOTHING;'],
  ])('%s: %s', async (ruleId, sql) => {
    const findings = await lint(`SET lock_timeout = '2s';\n${sql}`);
    expect(findings).toEqual([expect.objectContaining({ ruleId, line: 2, severity: 'error' })]);
  });

  test('a procedure is reported as a procedure, with its name', async () => {
    const [finding] = await lint('CREATE PROCEDURE archive_orders() LANGUAGE sql AS $$ SELECT 1 $$;');
    expect(finding?.message).toBe('CREATE PROCEDURE archive_orders: no stored procedures.');
  });

  test('text that only mentions a function or trigger is not one', async () => {
    const sql = [
      "COMMENT ON TABLE orders IS 'CREATE TRIGGER x ...; CREATE FUNCTION y ...';",
      '-- CREATE FUNCTION in a comment',
      "ALTER TABLE orders ADD COLUMN note text DEFAULT 'CREATE RULE';",
    ].join('\n');
    expect(await lint(sql)).toEqual([]);
  });

  test('a DO block that runs a string computed at run time is a warning: the linter cannot see that SQL', async () => {
    const findings = await lint("DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'orders'); END $$;");
    expect(findings).toEqual([expect.objectContaining({ ruleId: 'do-block', severity: 'warning', line: 1 })]);
  });
});
