/**
 * What a piece of SQL is, as far as telemetry cares: literals (strings, numbers, dollar-quoted
 * bodies) are what must never leave the process; words and identifiers name the operation and
 * the table; `(`, `)` and `;` give structure.
 */
export type SqlTokenKind =
  | 'word'
  | 'identifier'
  | 'literal'
  | 'parameter'
  | 'comment'
  | 'space'
  | 'punctuation';

/** One token: its kind and where it is in the text (`start` inclusive, `end` exclusive). */
export interface SqlToken {
  readonly kind: SqlTokenKind;
  readonly start: number;
  readonly end: number;
}

const SPACE = /\s+/y;
const WORD = /[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/y;
const NUMBER =
  /0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?/y;
const POSITIONAL = /\$\d+/y;
const DOLLAR_TAG = /\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/y;
// A one-letter word directly before a quote is part of the literal: E'..', B'..', X'..', N'..'.
const LITERAL_PREFIX = /^[eEbBxXnN]$/;

function match(pattern: RegExp, text: string, at: number): number {
  pattern.lastIndex = at;
  return pattern.test(text) ? pattern.lastIndex : at;
}

/** The end of a quoted run starting at `at` (a `'` or `"`); a doubled quote stays inside. */
function quotedEnd(text: string, at: number, quote: string, backslashEscapes: boolean): number {
  let index = at + 1;
  while (index < text.length) {
    const char = text[index];
    if (backslashEscapes && char === '\\') {
      index += 2;
    } else if (char === quote) {
      if (text[index + 1] !== quote) return index + 1;
      index += 2;
    } else {
      index += 1;
    }
  }
  return text.length;
}

function blockCommentEnd(text: string, at: number): number {
  let depth = 0;
  let index = at;
  while (index < text.length) {
    if (text.startsWith('/*', index)) {
      depth += 1;
      index += 2;
    } else if (text.startsWith('*/', index)) {
      depth -= 1;
      index += 2;
      if (depth === 0) return index;
    } else {
      index += 1;
    }
  }
  return text.length;
}

/**
 * Splits PostgreSQL SQL into tokens, one pass, no parse tree. Unterminated quotes and
 * comments run to the end of the text. Placeholders (`$1`, Knex's `?`) are parameters.
 */
export function scanSqlTokens(text: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let at = 0;
  const push = (kind: SqlTokenKind, end: number) => {
    tokens.push({ kind, start: at, end });
    at = end;
  };
  while (at < text.length) {
    const char = text[at] as string;
    const next = text[at + 1];
    if (/\s/.test(char)) {
      push('space', match(SPACE, text, at));
    } else if (char === '-' && next === '-') {
      const newline = text.indexOf('\n', at);
      push('comment', newline === -1 ? text.length : newline);
    } else if (char === '/' && next === '*') {
      push('comment', blockCommentEnd(text, at));
    } else if (char === "'") {
      push('literal', quotedEnd(text, at, "'", false));
    } else if (char === '"') {
      push('identifier', quotedEnd(text, at, '"', false));
    } else if (char === '$') {
      const positional = match(POSITIONAL, text, at);
      const tag = positional === at ? match(DOLLAR_TAG, text, at) : at;
      if (positional > at) {
        push('parameter', positional);
      } else if (tag > at) {
        const closing = text.indexOf(text.slice(at, tag), tag);
        push('literal', closing === -1 ? text.length : closing + (tag - at));
      } else {
        push('punctuation', at + 1);
      }
    } else if (char === '?') {
      push('parameter', at + 1);
    } else if (/[0-9]/.test(char) || (char === '.' && next !== undefined && /[0-9]/.test(next))) {
      push('literal', match(NUMBER, text, at));
    } else {
      const wordEnd = match(WORD, text, at);
      if (wordEnd === at) {
        push('punctuation', at + 1);
      } else if (text[wordEnd] === "'" && LITERAL_PREFIX.test(text.slice(at, wordEnd))) {
        push('literal', quotedEnd(text, wordEnd, "'", /[eE]/.test(char)));
      } else if (text.startsWith("U&'", at) || text.startsWith("u&'", at)) {
        push('literal', quotedEnd(text, at + 2, "'", false));
      } else {
        push('word', wordEnd);
      }
    }
  }
  return tokens;
}
