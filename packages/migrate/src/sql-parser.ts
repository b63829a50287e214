import { StrataError } from '@strata/errors';
import { loadModule, type ParseResult, parseSync, scanSync } from 'libpg-query';

/** A node of PostgreSQL's parse tree: one key naming the node type, e.g. `{ IndexStmt: {...} }`. */
export type SqlNode = Record<string, unknown>;

/** One top-level statement of a SQL text, as PostgreSQL's own parser delimits it. */
export interface SqlStatement {
  /** The statement's text, without the terminating `;` or the whitespace and comments around it. */
  sql: string;
  /** The parse tree node, e.g. `{ IndexStmt: { idxname: 'i', concurrent: true, ... } }`. */
  node: SqlNode;
  /** The node type, e.g. `IndexStmt`, `AlterTableStmt`. */
  kind: string;
  /** Character offset of the statement in the input. */
  start: number;
  /** Character offset just past the statement's end in the input. */
  end: number;
  /** 1-based line of the statement's first character in the input. */
  line: number;
}

/** A token of the PostgreSQL lexer, with character (not byte) offsets into the input. */
export interface SqlToken {
  /** e.g. `SQL_COMMENT`, `C_COMMENT`, `SCONST`, `IDENT`, `ASCII_59` (`;`). */
  tokenName: string;
  text: string;
  start: number;
  end: number;
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
    if (message.startsWith('{"version"')) {
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
  if (isBlank(sql)) return { version: 0, stmts: [] } as ParseResult;
  return callParser(() => parseSync(sql));
}

// The parser reports UTF-8 byte offsets; JavaScript strings index UTF-16 code units.
function byteToCharOffsets(sql: string): (byteOffset: number) => number {
  const bytes = Buffer.from(sql, 'utf8');
  return (byteOffset) => bytes.subarray(0, byteOffset).toString('utf8').length;
}

/**
 * Splits SQL into its top-level statements using PostgreSQL's parser, so `;` inside strings,
 * dollar-quoted bodies and comments is handled exactly as the server would. Comment-only
 * input gives an empty list. Throws `SqlSyntaxError` when the SQL does not parse.
 */
export async function splitSqlStatements(sql: string): Promise<SqlStatement[]> {
  const result = await parseSql(sql);
  const toChar = byteToCharOffsets(sql);
  const totalBytes = Buffer.byteLength(sql, 'utf8');
  return (result.stmts ?? []).map((raw) => {
    const byteStart = raw.stmt_location ?? 0;
    // stmt_len 0 (omitted) means "to the end of the input".
    const byteEnd = raw.stmt_len ? byteStart + raw.stmt_len : totalBytes;
    const rawStart = toChar(byteStart);
    const rawText = sql.slice(rawStart, toChar(byteEnd));
    // The parser's span starts right after the previous `;`, so it includes leading
    // whitespace and comments; the statement proper starts at its first real token.
    const leading = leadingTriviaLength(rawText);
    const text = rawText.slice(leading).trimEnd();
    const start = rawStart + leading;
    const node = (raw.stmt ?? {}) as SqlNode;
    return {
      sql: text,
      node,
      kind: Object.keys(node)[0] ?? 'Unknown',
      start,
      end: start + text.length,
      line: sql.slice(0, start).split('\n').length,
    };
  });
}

// Length of the whitespace and comments at the start of a statement's span.
function leadingTriviaLength(text: string): number {
  let index = 0;
  for (;;) {
    const rest = text.slice(index);
    const match = /^(?:\s+|--[^\n]*(?:\n|$))/.exec(rest);
    if (match) {
      index += match[0].length;
      continue;
    }
    if (rest.startsWith('/*')) {
      index += blockCommentLength(rest);
      continue;
    }
    return index;
  }
}

// PostgreSQL block comments nest.
function blockCommentLength(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.startsWith('/*', i)) {
      depth++;
      i++;
    } else if (text.startsWith('*/', i)) {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return text.length;
}

/**
 * Runs PostgreSQL's lexer over SQL and returns its tokens, comments included, with
 * character offsets and the exact text of the input. Used to find `-- migrate:up` markers
 * and other comment directives without being fooled by strings or dollar-quoted bodies.
 */
export async function scanSql(sql: string): Promise<SqlToken[]> {
  await loadSqlParser();
  // The common case: no token spans a line, so the lexer can read the text as it is. This also
  // keeps "--" comments short: masked (below), a comment runs to the end of the input, and
  // libpg-query cuts a token's text at about 1 KB, breaking its JSON for any longer file.
  if (!isBlank(sql)) {
    try {
      return scanUnmasked(sql);
    } catch {
      // A string, block comment or dollar-quoted body spans lines: scan a masked copy instead.
    }
  }
  return scanMasked(sql);
}

function scanUnmasked(sql: string): SqlToken[] {
  const toChar = byteToCharOffsets(sql);
  const result = callParser(() => scanSync(sql));
  return result.tokens.map((token) => {
    const start = toChar(token.start);
    const end = toChar(token.end);
    return { tokenName: token.tokenName, text: sql.slice(start, end), start, end };
  });
}

function scanMasked(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let offset = 0;
  while (offset < sql.length) {
    const rest = sql.slice(offset);
    if (isBlank(rest)) break;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point.
    const masked = rest.replace(/[\u0000-\u001f]/g, ' ');
    const toChar = byteToCharOffsets(rest);
    const result = callParser(() => scanSync(masked));
    let restart: number | undefined;
    for (const token of result.tokens) {
      const start = toChar(token.start);
      let end = toChar(token.end);
      if (token.tokenName === 'SQL_COMMENT') {
        const lineEnd = rest.slice(start, end).search(/[\r\n]/);
        if (lineEnd !== -1) {
          end = start + lineEnd;
          restart = end;
        }
      }
      tokens.push({
        tokenName: token.tokenName,
        text: rest.slice(start, end),
        start: offset + start,
        end: offset + end,
      });
      if (restart !== undefined) break;
    }
    if (restart === undefined) break;
    offset += restart;
  }
  return tokens;
}
