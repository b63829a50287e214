import { type SqlToken, scanSqlTokens } from './sql-tokens.js';

/** What a span may say about one SQL statement text. */
export interface StatementDescription {
  /** `db.query.text`: the text with every literal replaced by `?`; placeholders kept. */
  readonly queryText: string;
  /** `db.operation.name`: the statement's first keyword, upper case (`SELECT`, `BEGIN`, `COPY`). */
  readonly operation: string | undefined;
  /** `db.collection.name`: the table the statement reads or writes first, as written (quotes removed). */
  readonly collection: string | undefined;
  /** `{operation} {collection}`, `{operation}`, or `postgresql` (the conventions' span name). */
  readonly spanName: string;
}

// The table follows this keyword, at the statement's own nesting depth.
const TABLE_AFTER: Readonly<Record<string, string | null>> = {
  SELECT: 'FROM',
  DELETE: 'FROM',
  INSERT: 'INTO',
  MERGE: 'INTO',
  UPDATE: null,
  COPY: null,
  TRUNCATE: null,
};
const SKIPPED_BEFORE_TABLE = new Set(['ONLY', 'TABLE', 'LATERAL']);
const MAIN_OPERATIONS = new Set(['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'MERGE']);

const CACHE_LIMIT = 1_000;
const cache = new Map<string, StatementDescription>();

/**
 * Describes a statement for a span, cached per text: repeated statements (prepared, Knex's
 * compiled SQL) cost one map lookup. Texts with inlined values vary endlessly, so the cache is
 * cleared when it fills rather than growing.
 */
export function describeStatement(text: string): StatementDescription {
  let description = cache.get(text);
  if (description === undefined) {
    description = describe(text);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, description);
  }
  return description;
}

/** The text with every string, number and dollar-quoted literal replaced by `?`. */
export function sanitizeQueryText(text: string): string {
  return sanitize(text, scanSqlTokens(text));
}

function sanitize(text: string, tokens: readonly SqlToken[]): string {
  let result = '';
  for (const token of tokens) result += token.kind === 'literal' ? '?' : text.slice(token.start, token.end);
  return result;
}

function describe(text: string): StatementDescription {
  const tokens = scanSqlTokens(text);
  // Only structure matters from here: words, identifiers and punctuation, with their depth.
  const meaningful = tokens.filter((token) => token.kind !== 'space' && token.kind !== 'comment');
  const { operation, collection } = operationAndCollection(text, meaningful);
  const spanName =
    operation === undefined
      ? 'postgresql'
      : collection === undefined
        ? operation
        : `${operation} ${collection}`;
  return { queryText: sanitize(text, tokens), operation, collection, spanName };
}

function operationAndCollection(
  text: string,
  tokens: readonly SqlToken[],
): { operation: string | undefined; collection: string | undefined } {
  const word = (token: SqlToken | undefined) =>
    token?.kind === 'word' ? text.slice(token.start, token.end).toUpperCase() : undefined;
  const punctuation = (token: SqlToken | undefined) =>
    token?.kind === 'punctuation' ? text[token.start] : undefined;

  let index = 0;
  while (punctuation(tokens[index]) === '(') index += 1;
  let operation = word(tokens[index]);
  if (operation === undefined) return { operation: undefined, collection: undefined };

  let depth = 0;
  let afterOperation = index + 1;
  if (operation === 'WITH') {
    // The statement the common table expressions feed: the first main keyword outside them.
    for (let at = index + 1; at < tokens.length; at++) {
      const mark = punctuation(tokens[at]);
      if (mark === '(') depth += 1;
      else if (mark === ')') depth -= 1;
      else if (depth === 0 && MAIN_OPERATIONS.has(word(tokens[at]) ?? '')) {
        operation = word(tokens[at]) as string;
        afterOperation = at + 1;
        break;
      }
    }
    depth = 0;
  }

  const keyword = TABLE_AFTER[operation];
  if (keyword === undefined) return { operation, collection: undefined };
  let at = afterOperation;
  if (keyword !== null) {
    for (; at < tokens.length; at++) {
      const mark = punctuation(tokens[at]);
      if (mark === '(') depth += 1;
      else if (mark === ')') depth -= 1;
      else if (mark === ';' && depth === 0) return { operation, collection: undefined };
      else if (depth === 0 && word(tokens[at]) === keyword) break;
    }
    at += 1;
  }
  while (SKIPPED_BEFORE_TABLE.has(word(tokens[at]) ?? '')) at += 1;
  // After FROM a name followed by `(` is a function (generate_series(...)), not a table.
  return { operation, collection: qualifiedName(text, tokens, at, keyword === 'FROM') };
}

/** `schema.table` starting at token `at`, quotes removed; undefined for a subquery (or a function call). */
function qualifiedName(
  text: string,
  tokens: readonly SqlToken[],
  at: number,
  notBeforeParenthesis: boolean,
): string | undefined {
  const parts: string[] = [];
  let index = at;
  for (;;) {
    const token = tokens[index];
    if (token === undefined || (token.kind !== 'word' && token.kind !== 'identifier')) break;
    const raw = text.slice(token.start, token.end);
    parts.push(token.kind === 'identifier' ? raw.slice(1, -1).replaceAll('""', '"') : raw);
    const dot = tokens[index + 1];
    if (dot?.kind !== 'punctuation' || text[dot.start] !== '.') {
      index += 1;
      break;
    }
    index += 2;
  }
  if (parts.length === 0) return undefined;
  const following = tokens[index];
  if (notBeforeParenthesis && following?.kind === 'punctuation' && text[following.start] === '(') {
    return undefined;
  }
  return parts.join('.');
}
