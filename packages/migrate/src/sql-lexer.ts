/** A token of SQL text, named as PostgreSQL's lexer names it, with character offsets. */
export interface SqlToken {
  /**
   * `SQL_COMMENT` (`-- ...`), `C_COMMENT` (`/* ... *\/`, nested), `SCONST` (a string:
   * `'...'`, `E'...'`, `N'...'`, `U&'...'` or dollar-quoted), `BCONST` / `XCONST` (`B'...'`,
   * `X'...'`), `IDENT` (a word — keywords included — or a quoted identifier), `ICONST`,
   * `FCONST`, `PARAM` (`$1`), `Op` (an operator), `TYPECAST` (`::`), or `ASCII_<code>` for
   * any other single character (`ASCII_59` is `;`).
   */
  tokenName: string;
  text: string;
  start: number;
  end: number;
  /** Set when a string, quoted identifier or block comment has no end: it runs to the end of the input. */
  unterminated?: true;
}

// PostgreSQL's scan.l: identifiers start with a letter, `_` or any non-ASCII character and go
// on with those, digits and `$`; a dollar-quote tag is the same without `$`.
const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const TAG_PART = /[A-Za-z0-9_\u0080-\uffff]/;
const OPERATOR_CHARS = '+-*/<>=~!@#%^&|`?';
const WHITESPACE = /[ \t\n\r\f\v]/;

/**
 * Reads SQL into tokens by PostgreSQL's lexical rules (standard_conforming_strings on, the
 * default since 9.1): `--` and nested `/* *\/` comments, `'...'` strings with `''`, `E'...'`
 * strings with backslash escapes, `"..."` identifiers and `$tag$...$tag$` bodies. It never
 * fails: an unterminated string or comment becomes one token to the end of the input, marked
 * `unterminated`, which PostgreSQL will reject when the SQL runs.
 */
export function lexSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let index = 0;
  const push = (tokenName: string, start: number, end: number, unterminated = false): void => {
    tokens.push({
      tokenName,
      text: sql.slice(start, end),
      start,
      end,
      ...(unterminated ? { unterminated: true as const } : {}),
    });
    index = end;
  };
  while (index < sql.length) {
    const char = sql[index] as string;
    const next = sql[index + 1];
    if (WHITESPACE.test(char)) {
      index++;
    } else if (char === '-' && next === '-') {
      const end = sql.slice(index).search(/[\r\n]/);
      push('SQL_COMMENT', index, end === -1 ? sql.length : index + end);
    } else if (char === '/' && next === '*') {
      const end = blockCommentEnd(sql, index);
      push('C_COMMENT', index, end ?? sql.length, end === undefined);
    } else if (char === "'") {
      const end = quotedEnd(sql, index + 1, "'", false);
      push('SCONST', index, end ?? sql.length, end === undefined);
    } else if (char === '"') {
      const end = quotedEnd(sql, index + 1, '"', false);
      push('IDENT', index, end ?? sql.length, end === undefined);
    } else if (char === '$') {
      lexDollar(sql, index, push);
    } else if (IDENT_START.test(char)) {
      lexWord(sql, index, push);
    } else if (/[0-9]/.test(char) || (char === '.' && /[0-9]/.test(next ?? ''))) {
      const match =
        /^(?:0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?/.exec(
          sql.slice(index, index + 1_000),
        );
      const text = match?.[0] ?? char;
      push(/[.eE]/.test(text) && !/^0[xX]/.test(text) ? 'FCONST' : 'ICONST', index, index + text.length);
    } else if (char === ':' && next === ':') {
      push('TYPECAST', index, index + 2);
    } else if (OPERATOR_CHARS.includes(char)) {
      let end = index;
      // An operator stops where a comment starts: `a+--x` is `a`, `+`, a comment.
      while (end < sql.length && OPERATOR_CHARS.includes(sql[end] as string)) {
        if (end > index && (sql.startsWith('--', end) || sql.startsWith('/*', end))) break;
        end++;
      }
      push(end - index === 1 ? `ASCII_${char.charCodeAt(0)}` : 'Op', index, end);
    } else {
      push(`ASCII_${char.charCodeAt(0)}`, index, index + 1);
    }
  }
  return tokens;
}

type Push = (tokenName: string, start: number, end: number, unterminated?: boolean) => void;

// A word, or a string with a prefix: E'...', B'...', X'...', N'...', U&'...', U&"...".
function lexWord(sql: string, start: number, push: Push): void {
  let end = start + 1;
  while (end < sql.length && IDENT_PART.test(sql[end] as string)) end++;
  const word = sql.slice(start, end);
  const after = sql[end];
  if (after === "'" && word.length === 1 && /[EeBbXxNn]/.test(word)) {
    const escapes = word === 'E' || word === 'e';
    const close = quotedEnd(sql, end + 1, "'", escapes);
    const name = /[Bb]/.test(word) ? 'BCONST' : /[Xx]/.test(word) ? 'XCONST' : 'SCONST';
    push(name, start, close ?? sql.length, close === undefined);
    return;
  }
  if ((word === 'U' || word === 'u') && after === '&' && (sql[end + 1] === "'" || sql[end + 1] === '"')) {
    const quote = sql[end + 1] as "'" | '"';
    const close = quotedEnd(sql, end + 2, quote, false);
    push(quote === "'" ? 'SCONST' : 'IDENT', start, close ?? sql.length, close === undefined);
    return;
  }
  push('IDENT', start, end);
}

// `$1` is a parameter; `$tag$ ... $tag$` (or `$$ ... $$`) is a string; a lone `$` is itself.
function lexDollar(sql: string, start: number, push: Push): void {
  const digits = /^\$[0-9]+/.exec(sql.slice(start, start + 20));
  if (digits) {
    push('PARAM', start, start + digits[0].length);
    return;
  }
  let tagEnd = start + 1;
  if (tagEnd < sql.length && IDENT_START.test(sql[tagEnd] as string)) {
    while (tagEnd < sql.length && TAG_PART.test(sql[tagEnd] as string)) tagEnd++;
  }
  if (sql[tagEnd] !== '$') {
    push('ASCII_36', start, start + 1);
    return;
  }
  const delimiter = sql.slice(start, tagEnd + 1);
  const close = sql.indexOf(delimiter, tagEnd + 1);
  push('SCONST', start, close === -1 ? sql.length : close + delimiter.length, close === -1);
}

// The offset just past the closing quote, or undefined when there is none. A doubled quote
// stands for itself; with `escapes` (E'...'), a backslash escapes the next character.
function quotedEnd(sql: string, from: number, quote: string, escapes: boolean): number | undefined {
  for (let i = from; i < sql.length; i++) {
    const char = sql[i];
    if (escapes && char === '\\') {
      i++;
    } else if (char === quote) {
      if (sql[i + 1] === quote) i++;
      else return i + 1;
    }
  }
  return undefined;
}

// PostgreSQL block comments nest: `/* a /* b */ c */` is one comment.
function blockCommentEnd(sql: string, start: number): number | undefined {
  let depth = 0;
  for (let i = start; i < sql.length; i++) {
    if (sql.startsWith('/*', i)) {
      depth++;
      i++;
    } else if (sql.startsWith('*/', i)) {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/** Whether a token is a comment (`--` or `/* *\/`). */
export const isComment = (token: SqlToken): boolean =>
  token.tokenName === 'SQL_COMMENT' || token.tokenName === 'C_COMMENT';

/** A statement's span in the text, from its first token to its last (the `;` excluded). */
export interface StatementSpan {
  start: number;
  end: number;
}

/**
 * Splits SQL into statements the way psql does when it runs a file: at each `;` outside
 * parentheses, strings, comments and dollar-quoted bodies, and — in CREATE [OR REPLACE]
 * FUNCTION/PROCEDURE — outside a `BEGIN ATOMIC ... END` body. Used when PostgreSQL's parser
 * (libpg-query) cannot read a text, so each statement can still be run, located and reported.
 */
export function splitStatementSpans(tokens: readonly SqlToken[]): StatementSpan[] {
  const spans: StatementSpan[] = [];
  let first: SqlToken | undefined;
  let last: SqlToken | undefined;
  let parenDepth = 0;
  let beginDepth = 0;
  let words: string[] = [];
  const finish = (): void => {
    if (first && last) spans.push({ start: first.start, end: last.end });
    first = undefined;
    last = undefined;
    parenDepth = 0;
    beginDepth = 0;
    words = [];
  };
  for (const token of tokens) {
    if (isComment(token)) continue;
    if (token.text === ';' && parenDepth === 0 && beginDepth === 0) {
      finish();
      continue;
    }
    first ??= token;
    last = token;
    if (token.text === '(') parenDepth++;
    else if (token.text === ')') parenDepth = Math.max(0, parenDepth - 1);
    else if (token.tokenName === 'IDENT' && !token.text.startsWith('"')) {
      const word = token.text.toLowerCase();
      words.push(word);
      if (parenDepth === 0 && definesRoutine(words)) {
        if (word === 'begin') beginDepth++;
        else if (word === 'case' && beginDepth > 0) beginDepth++;
        else if (word === 'end' && beginDepth > 0) beginDepth--;
      }
    }
  }
  finish();
  return spans;
}

// CREATE FUNCTION, CREATE PROCEDURE, CREATE OR REPLACE FUNCTION/PROCEDURE (psql's heuristic).
function definesRoutine(words: readonly string[]): boolean {
  const routine = (word: string | undefined): boolean => word === 'function' || word === 'procedure';
  if (words[0] !== 'create') return false;
  return routine(words[1]) || (words[1] === 'or' && words[2] === 'replace' && routine(words[3]));
}

/** The value of a string token, and where each of its characters sits in the token's text. */
export interface StringValue {
  value: string;
  /** Offset in the token's text of the value's character `index` (`value.length` maps past the last one). */
  textOffsetOf(index: number): number;
}

/**
 * The value of a `SCONST` token — `$tag$...$tag$`, `'...'` (with `''`), `E'...'` (with
 * backslash escapes) or `N'...'` — or undefined for other tokens and `U&'...'` strings.
 */
export function stringValue(token: SqlToken): StringValue | undefined {
  if (token.tokenName !== 'SCONST' || token.unterminated) return undefined;
  const text = token.text;
  const dollar = /^\$[^$]*\$/.exec(text)?.[0];
  if (dollar !== undefined) {
    const value = text.slice(dollar.length, text.length - dollar.length);
    return { value, textOffsetOf: (index) => dollar.length + Math.min(index, value.length) };
  }
  const prefix = /^[EeNn]?'/.exec(text)?.[0];
  if (prefix === undefined) return undefined;
  const escapes = prefix === "E'" || prefix === "e'";
  const offsets: number[] = [];
  let value = '';
  for (let i = prefix.length; i < text.length - 1; i++) {
    offsets.push(i);
    const char = text[i] as string;
    if (char === "'") {
      i++; // '' stands for one quote
      value += "'";
    } else if (escapes && char === '\\') {
      const escaped = /^\\(?:[0-7]{1,3}|x[0-9A-Fa-f]{1,2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/s.exec(
        text.slice(i, i + 10),
      );
      const sequence = escaped?.[0] ?? '\\';
      value += decodeEscape(sequence);
      // A decoded character outside the BMP is two UTF-16 units, both at this escape.
      while (offsets.length < value.length) offsets.push(i);
      i += sequence.length - 1;
    } else {
      value += char;
    }
  }
  offsets.push(text.length - 1);
  return { value, textOffsetOf: (index) => offsets[Math.min(index, offsets.length - 1)] ?? text.length };
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function decodeEscape(sequence: string): string {
  const body = sequence.slice(1);
  const code = /^[0-7]{1,3}$/.test(body)
    ? Number.parseInt(body, 8)
    : /^(?:x[0-9A-Fa-f]{1,2}|[uU][0-9A-Fa-f]+)$/.test(body)
      ? Number.parseInt(body.slice(1), 16)
      : undefined;
  if (code === undefined) return SIMPLE_ESCAPES[body] ?? body;
  // PostgreSQL rejects a code point out of range; the value only serves to find a body here.
  return code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
}
