import { describe, expect, test } from 'vitest';
import { lexSql, splitStatementSpans, stringValue } from './sql-lexer.js';

const tokens = (sql: string) => lexSql(sql).map((token) => [token.tokenName, token.text]);
const statements = (sql: string) =>
  splitStatementSpans(lexSql(sql)).map(({ start, end }) => sql.slice(start, end));

describe('lexSql', () => {
  test('every token is the exact text at its offsets, whatever its length', () => {
    const long = 'x'.repeat(100_000);
    const sql = `-- migrate:up\nselect '${long}', $$${long}\n$$, E'\\n${long}';\n/* ${long} */ -- after\n`;
    const lexed = lexSql(sql);
    for (const token of lexed) expect(sql.slice(token.start, token.end)).toBe(token.text);
    expect(lexed.map((token) => token.tokenName)).toEqual([
      'SQL_COMMENT',
      'IDENT',
      'SCONST',
      'ASCII_44',
      'SCONST',
      'ASCII_44',
      'SCONST',
      'ASCII_59',
      'C_COMMENT',
      'SQL_COMMENT',
    ]);
  });

  test('dollar quotes end only at their own tag; $1 is a parameter and a$b$ a word', () => {
    expect(tokens('$fn$ a $$ b $x$ c $fn$ $1 a$b$')).toEqual([
      ['SCONST', '$fn$ a $$ b $x$ c $fn$'],
      ['PARAM', '$1'],
      ['IDENT', 'a$b$'],
    ]);
    expect(tokens('$_tag9$;$_tag9$;')).toEqual([
      ['SCONST', '$_tag9$;$_tag9$'],
      ['ASCII_59', ';'],
    ]);
  });

  test('block comments nest; a -- inside one is not a comment of its own', () => {
    expect(tokens('/* a /* b -- c */ d */ x -- e /* f\ny')).toEqual([
      ['C_COMMENT', '/* a /* b -- c */ d */'],
      ['IDENT', 'x'],
      ['SQL_COMMENT', '-- e /* f'],
      ['IDENT', 'y'],
    ]);
  });

  test("strings: '' doubles a quote; backslashes escape only in E'' strings (standard_conforming_strings)", () => {
    expect(tokens("'it''s' 'C:\\path\\' E'it\\'s \\\\' e'\\'' N'n' U&'\\0041' B'01' X'ff'")).toEqual([
      ['SCONST', "'it''s'"],
      ['SCONST', "'C:\\path\\'"],
      ['SCONST', "E'it\\'s \\\\'"],
      ['SCONST', "e'\\''"],
      ['SCONST', "N'n'"],
      ['SCONST', "U&'\\0041'"],
      ['BCONST', "B'01'"],
      ['XCONST', "X'ff'"],
    ]);
  });

  test('quoted identifiers may hold anything, a doubled quote included', () => {
    expect(tokens('"a ""b"" -- c;" U&"d\\0061"')).toEqual([
      ['IDENT', '"a ""b"" -- c;"'],
      ['IDENT', 'U&"d\\0061"'],
    ]);
  });

  test('an operator stops where a comment starts; :: is a cast', () => {
    expect(tokens('a+--c\nb::int <> c */ d')).toEqual([
      ['IDENT', 'a'],
      ['ASCII_43', '+'],
      ['SQL_COMMENT', '--c'],
      ['IDENT', 'b'],
      ['TYPECAST', '::'],
      ['IDENT', 'int'],
      ['Op', '<>'],
      ['IDENT', 'c'],
      ['Op', '*/'],
      ['IDENT', 'd'],
    ]);
  });

  test('an unterminated string or comment runs to the end and says so', () => {
    const [first, second] = lexSql("select 'abc\n-- migrate:down\n");
    expect(first?.text).toBe('select');
    expect(second).toMatchObject({
      tokenName: 'SCONST',
      unterminated: true,
      text: "'abc\n-- migrate:down\n",
    });
    expect(lexSql('/* a /* b */')).toEqual([
      expect.objectContaining({ tokenName: 'C_COMMENT', unterminated: true }),
    ]);
    expect(lexSql('$x$ body')).toEqual([
      expect.objectContaining({ tokenName: 'SCONST', unterminated: true }),
    ]);
  });

  test('non-ASCII letters are identifier letters', () => {
    expect(tokens('SELECT größe, 名前 FROM tä')).toEqual([
      ['IDENT', 'SELECT'],
      ['IDENT', 'größe'],
      ['ASCII_44', ','],
      ['IDENT', '名前'],
      ['IDENT', 'FROM'],
      ['IDENT', 'tä'],
    ]);
  });
});

describe('stringValue', () => {
  test.each([
    ["'it''s'", "it's"],
    ["'C:\\path\\'", 'C:\\path\\'],
    ["E'a\\'b\\n\\t\\\\\\101\\x42\\u0043'", "a'b\n\t\\ABC"],
    ['$q$ a $$ b $q$', ' a $$ b '],
    ["N'x'", 'x'],
  ])('%s is %j', (text, value) => {
    const [token] = lexSql(text);
    expect(token && stringValue(token)?.value).toBe(value);
  });

  test('maps each character of the value back to the token text', () => {
    const [token] = lexSql("E'a\\nb''c'");
    const value = token && stringValue(token);
    expect(value?.value).toBe("a\nb'c");
    expect([0, 1, 2, 3, 4].map((index) => value?.textOffsetOf(index))).toEqual([2, 3, 5, 6, 8]);
  });

  test('is undefined for other tokens and unterminated strings', () => {
    const [word, unterminated] = lexSql("select 'x");
    expect(word && stringValue(word)).toBeUndefined();
    expect(unterminated && stringValue(unterminated)).toBeUndefined();
  });
});

describe('splitStatementSpans (psql rules, used when the parser cannot read a text)', () => {
  test('splits at ; outside strings, comments, dollar quotes and parentheses', () => {
    const sql = `select ';' -- ;
; /* ; */ CREATE RULE r AS ON INSERT TO t DO ALSO (insert into a values (1); insert into b values (2));
DO $$ BEGIN PERFORM 1; END $$;;; select "a;b"`;
    expect(statements(sql)).toEqual([
      "select ';'",
      'CREATE RULE r AS ON INSERT TO t DO ALSO (insert into a values (1); insert into b values (2))',
      'DO $$ BEGIN PERFORM 1; END $$',
      'select "a;b"',
    ]);
  });

  test('keeps a BEGIN ATOMIC ... END function body (CASE ... END inside it too) in one statement', () => {
    const sql = `CREATE OR REPLACE FUNCTION f(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
  SELECT 2;
END;
BEGIN; select case when true then 1 end; END;`;
    expect(statements(sql)).toEqual([
      sql.slice(0, sql.indexOf('END;\nBEGIN') + 3),
      'BEGIN',
      'select case when true then 1 end',
      'END',
    ]);
  });
});
