import { describe, expect, test } from 'vitest';
import { forbiddenStatementReason, nonTransactionalReason } from './non-transactional-statement.js';
import { parseSql, SqlSyntaxError, scanSql, splitSqlStatements } from './sql-parser.js';

describe('splitSqlStatements', () => {
  test('splits on the statements PostgreSQL sees, not on every ";"', async () => {
    const sql = `-- leading comment
CREATE TABLE t (a text DEFAULT 'x;y');
/* block /* nested */ comment */
DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$;
select 'é'; select 2`;
    const statements = await splitSqlStatements(sql);
    expect(statements.map((s) => s.sql)).toEqual([
      "CREATE TABLE t (a text DEFAULT 'x;y')",
      "DO $body$ BEGIN RAISE NOTICE 'a;b'; END $body$",
      "select 'é'",
      'select 2',
    ]);
    expect(statements.map((s) => s.kind)).toEqual(['CreateStmt', 'DoStmt', 'SelectStmt', 'SelectStmt']);
    expect(statements.map((s) => s.line)).toEqual([2, 4, 5, 5]);
    const last = statements[3];
    expect(sql.slice(last?.start, last?.end)).toBe('select 2');
  });

  test('empty and comment-only SQL has no statements', async () => {
    expect(await splitSqlStatements('')).toEqual([]);
    expect(await splitSqlStatements('  -- nothing\n /* here */ ;')).toEqual([]);
  });

  test('SQL containing the word ERROR parses (works around libpg-query treating it as a failure)', async () => {
    const statements = await splitSqlStatements("select 'ERROR'; -- ERROR in a comment\nselect 1");
    expect(statements).toHaveLength(2);
    expect((await scanSql("select 'ERROR'")).map((t) => t.tokenName)).toContain('SCONST');
  });

  test('a syntax error is a SqlSyntaxError carrying the parser message', async () => {
    await expect(splitSqlStatements('select from where')).rejects.toThrow(SqlSyntaxError);
    await expect(parseSql('create tabel x ()')).rejects.toThrow(/syntax error at or near "tabel"/);
  });
});

describe('scanSql', () => {
  test('scans files of any length after a leading "--" comment (every migration starts with one)', async () => {
    const sql = `-- migrate:up\n${'select 1;\n'.repeat(400)}-- migrate:down\nselect 2;\n`;
    const comments = (await scanSql(sql)).filter((t) => t.tokenName === 'SQL_COMMENT');
    expect(comments.map((c) => [c.text, sql.slice(c.start, c.end)])).toEqual([
      ['-- migrate:up', '-- migrate:up'],
      ['-- migrate:down', '-- migrate:down'],
    ]);
  });

  test('a long file with a multi-line string still finds its comments', async () => {
    const sql = `-- migrate:up\nselect 'two\nlines';\n${'select 1;\n'.repeat(20)}-- migrate:down\n`;
    const comments = (await scanSql(sql)).filter((t) => t.tokenName === 'SQL_COMMENT').map((t) => t.text);
    expect(comments).toEqual(['-- migrate:up', '-- migrate:down']);
  });

  test('handles tokens that span lines and line comments between them', async () => {
    const sql =
      "select 'a\n\tb' -- first\n/* multi\nline */ -- second\n$x$\n-- not a comment\n$x$; select\t1";
    const tokens = await scanSql(sql);
    expect(tokens.map((t) => [t.tokenName, t.text])).toEqual([
      ['IDENT', 'select'],
      ['SCONST', "'a\n\tb'"],
      ['SQL_COMMENT', '-- first'],
      ['C_COMMENT', '/* multi\nline */'],
      ['SQL_COMMENT', '-- second'],
      ['SCONST', '$x$\n-- not a comment\n$x$'],
      ['ASCII_59', ';'],
      ['IDENT', 'select'],
      ['ICONST', '1'],
    ]);
    for (const token of tokens) expect(sql.slice(token.start, token.end)).toBe(token.text);
  });

  test('reports comments as tokens with character offsets', async () => {
    const sql = "select 'é' -- migrate:down\n;";
    const comment = (await scanSql(sql)).find((t) => t.tokenName === 'SQL_COMMENT');
    expect(comment?.text).toBe('-- migrate:down');
    expect(sql.slice(comment?.start, comment?.end)).toBe('-- migrate:down');
  });
});

describe('nonTransactionalReason', () => {
  test.each([
    ['CREATE INDEX CONCURRENTLY i ON t (a)', 'CREATE INDEX CONCURRENTLY'],
    [
      'create unique index concurrently if not exists i on s.t using btree (a) where b',
      'CREATE INDEX CONCURRENTLY',
    ],
    ['DROP INDEX CONCURRENTLY IF EXISTS i', 'DROP INDEX CONCURRENTLY'],
    ['REINDEX (VERBOSE) INDEX CONCURRENTLY i', 'REINDEX CONCURRENTLY'],
    ["ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh'", 'ALTER TYPE ... ADD VALUE'],
    ['VACUUM (ANALYZE) t', 'VACUUM'],
    ['ALTER TABLE p DETACH PARTITION c CONCURRENTLY', 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY'],
    ['CREATE DATABASE x', 'CREATE DATABASE'],
    ['ALTER SYSTEM SET work_mem = 1', 'ALTER SYSTEM'],
  ])('%s cannot run in a transaction', async (sql, reason) => {
    const [statement] = await splitSqlStatements(sql);
    expect(statement && nonTransactionalReason(statement)).toBe(reason);
  });

  test.each([
    'CREATE INDEX i ON t (a)',
    'DROP INDEX i',
    'REINDEX TABLE t',
    'ANALYZE t',
    "ALTER TYPE mood RENAME VALUE 'a' TO 'b'",
    'ALTER TABLE p DETACH PARTITION c',
    "SELECT 'CREATE INDEX CONCURRENTLY x ON t (a)'",
    '-- CREATE INDEX CONCURRENTLY\nALTER TABLE t ADD COLUMN c int',
  ])('%s runs in a transaction', async (sql) => {
    const [statement] = await splitSqlStatements(sql);
    expect(statement && nonTransactionalReason(statement)).toBeUndefined();
  });

  test('transaction control is forbidden in a migration', async () => {
    const statements = await splitSqlStatements('BEGIN; SELECT 1; COMMIT');
    expect(statements.map((s) => forbiddenStatementReason(s) !== undefined)).toEqual([true, false, true]);
  });
});
