import { StrataError } from '@strata/errors';
import { loadModule, type ParseResult, parsePlPgSQLSync, parseSync } from 'libpg-query';
import { isComment, lexSql, type SqlToken, splitStatementSpans } from './sql-lexer.js';
import { textOffsets } from './text-offsets.js';

export type { SqlToken } from './sql-lexer.js';

/** A node of PostgreSQL's parse tree: one key naming the node type, e.g. `{ IndexStmt: {...} }`. */
export type SqlNode = Record<string, unknown>;

/** One top-level statement of a SQL text, as PostgreSQL's own parser delimits it. */
export interface SqlStatement {
  /** The statement's text, without the terminating `;` or the whitespace and comments around it. */
  sql: string;
  /** The parse tree node, e.g. `{ IndexStmt: { idxname: 'i', concurrent: true, ... } }`; `{}` when unparsed. */
  node: SqlNode;
  /** The node type, e.g. `IndexStmt`, `AlterTableStmt`; `Unparsed` when the parser could not read it. */
  kind: string;
  /** Character offset of the statement in the input. */
  start: number;
  /** Character offset just past the statement's end in the input. */
  end: number;
  /** 1-based line of the statement's first character in the input. */
  line: number;
  /**
   * Only with `{ unparsable: 'keep' }`: why PostgreSQL 17's parser (libpg-query) could not
   * read this statement. It is still a statement — PostgreSQL itself judges it when it runs.
   */
  parseError?: string;
}

/**
 * The SQL could not be parsed by PostgreSQL's parser. `message` carries the parser's words
 * (e.g. `syntax error at or near "where"`); callers add the file name.
 */
export class SqlSyntaxError extends StrataError {
  readonly parserMessage: string;

  constructor(parserMessage: string, options: { cause?: unknown } = {}) {
    super('SQL_SYNTAX_ERROR', `SQL syntax error: ${parserMessage}`, options);
    this.parserMessage = parserMessage;
  }
}

let loading: Promise<void> | undefined;

/**
 * Loads the PostgreSQL parser (libpg-query, compiled to WebAssembly) once per process.
 * Every other function here awaits it, so calling it directly is only needed to warm up.
 */
export function loadSqlParser(): Promise<void> {
  loading ??= loadModule();
  return loading;
}

// libpg-query 17.3 treats any result containing the text "ERROR" as a failure and throws the
// (valid) JSON result as the message — e.g. for `select 'ERROR'` or a comment saying ERROR.
// Real parse errors are plain text, so a message that is a JSON parse result is a success.
function callParser<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (message.startsWith('{"version"') || message.startsWith('{"plpgsql_funcs"')) {
      try {
        return JSON.parse(message) as T;
      } catch {
        // Not JSON after all: report the original failure below.
      }
    }
    throw new SqlSyntaxError(message, { cause: error });
  }
}

// libpg-query rejects an empty string with a non-JSON reply; PostgreSQL accepts it as no statements.
const isBlank = (sql: string): boolean => sql.trim() === '';

/** Parses SQL with PostgreSQL's own parser and returns the raw parse tree (`{ version, stmts }`). */
export async function parseSql(sql: string): Promise<ParseResult> {
  await loadSqlParser();
  return parseLoaded(sql);
}

function parseLoaded(sql: string): ParseResult {
  if (isBlank(sql)) return { version: 0, stmts: [] } as ParseResult;
  return callParser(() => parseSync(sql));
}

/**
 * Parses the PL/pgSQL bodies of the DO blocks and CREATE FUNCTION/PROCEDURE statements in
 * `sql` with PostgreSQL's PL/pgSQL parser: `{ plpgsql_funcs: [{ PLpgSQL_function: ... }] }`.
 * Throws `SqlSyntaxError` when a body does not parse.
 */
export async function parsePlPgSql(sql: string): Promise<{ plpgsql_funcs?: unknown[] }> {
  await loadSqlParser();
  return callParser(() => parsePlPgSQLSync(sql) as { plpgsql_funcs?: unknown[] });
}

/** Options of `splitSqlStatements`. */
export interface SplitOptions {
  /**
   * `throw` (default): a text the parser cannot read throws `SqlSyntaxError`. `keep`: the text
   * is split the way psql splits a file, each statement is parsed on its own, and one that
   * does not parse is returned with `kind: 'Unparsed'` and its `parseError`.
   */
  unparsable?: 'throw' | 'keep';
}

/**
 * Splits SQL into its top-level statements using PostgreSQL's parser, so `;` inside strings,
 * dollar-quoted bodies and comments is handled exactly as the server would. Comment-only
 * input gives an empty list. Throws `SqlSyntaxError` when the SQL does not parse, unless
 * `unparsable: 'keep'`.
 */
export async function splitSqlStatements(sql: string, options: SplitOptions = {}): Promise<SqlStatement[]> {
  await loadSqlParser();
  const tokens = lexSql(sql);
  let result: ParseResult;
  try {
    result = parseLoaded(sql);
  } catch (error) {
    if (options.unparsable !== 'keep' || !(error instanceof SqlSyntaxError)) throw error;
    return splitStatementByStatement(sql, tokens);
  }
  return statementsOf(sql, result, tokens);
}

// The parser's statements, each trimmed to its first and last token: the parser's span starts
// right after the previous `;`, so it includes the whitespace and comments before it.
function statementsOf(sql: string, result: ParseResult, tokens: readonly SqlToken[]): SqlStatement[] {
  const offsets = textOffsets(sql);
  const totalBytes = offsets.byteLength;
  const code = tokens.filter((token) => !isComment(token));
  let next = 0;
  return (result.stmts ?? []).map((raw) => {
    const byteStart = raw.stmt_location ?? 0;
    // stmt_len 0 (omitted) means "to the end of the input".
    const byteEnd = raw.stmt_len ? byteStart + raw.stmt_len : totalBytes;
    const spanStart = offsets.charOfByte(byteStart);
    const spanEnd = offsets.charOfByte(byteEnd);
    while (next < code.length && (code[next] as SqlToken).start < spanStart) next++;
    let last = next;
    while (last < code.length && (code[last] as SqlToken).end <= spanEnd) last++;
    const start = code[next]?.start ?? spanStart;
    const end = last > next ? (code[last - 1] as SqlToken).end : spanEnd;
    next = last;
    const node = (raw.stmt ?? {}) as SqlNode;
    return {
      sql: sql.slice(start, end),
      node,
      kind: Object.keys(node)[0] ?? 'Unknown',
      start,
      end,
      line: offsets.lineOfChar(start),
    };
  });
}

function splitStatementByStatement(sql: string, tokens: readonly SqlToken[]): SqlStatement[] {
  const offsets = textOffsets(sql);
  return splitStatementSpans(tokens).flatMap(({ start, end }): SqlStatement[] => {
    const text = sql.slice(start, end);
    try {
      const statements = statementsOf(text, parseLoaded(text), lexSql(text));
      // Parser locations count from the start of the text parsed; make them the input's.
      const byteShift = offsets.byteOfChar(start);
      return statements.map((statement) => ({
        ...statement,
        node: shiftLocations(statement.node, byteShift) as SqlNode,
        start: statement.start + start,
        end: statement.end + start,
        line: offsets.lineOfChar(statement.start + start),
      }));
    } catch (error) {
      if (!(error instanceof SqlSyntaxError)) throw error;
      return [
        {
          sql: text,
          node: {},
          kind: 'Unparsed',
          start,
          end,
          line: offsets.lineOfChar(start),
          parseError: error.parserMessage,
        },
      ];
    }
  });
}

function shiftLocations(value: unknown, shift: number): unknown {
  if (Array.isArray(value)) return value.map((item) => shiftLocations(item, shift));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      key === 'location' && typeof field === 'number' && field >= 0
        ? field + shift
        : shiftLocations(field, shift),
    ]),
  );
}

/**
 * Reads SQL into its tokens, comments included, with character offsets and the exact text of
 * the input, by PostgreSQL's lexical rules (see `lexSql`). Used to find `-- migrate:up`
 * markers and other comment directives without being fooled by strings or dollar-quoted
 * bodies. Never fails: an unterminated string runs to the end of the input.
 */
export async function scanSql(sql: string): Promise<SqlToken[]> {
  return lexSql(sql);
}
