import type { Node } from 'libpg-query';
import { isComment, lexSql, type StringValue, stringValue } from '../sql-lexer.js';
import { parsePlPgSql, type SqlStatement, SqlSyntaxError, splitSqlStatements } from '../sql-parser.js';
import { textOffsets } from '../text-offsets.js';
import { nodeAs, stringValues } from './parse-tree.js';

/** A SQL statement inside a DO block or a PL/pgSQL function body, placed in the linted text. */
export interface EmbeddedStatement {
  node: Node;
  /** Character offset in the linted text where the statement starts. */
  start: number;
  /** Character offset in the linted text of a parser `location` (UTF-8 bytes into the statement's source). */
  charOf(location: number): number;
}

/** The SQL a DO block or PL/pgSQL function runs, as far as the linter can read it. */
export interface EmbeddedSql {
  kind: 'do' | 'function';
  /** For messages: `the DO block`, `function billing.fill()`. */
  container: string;
  statements: EmbeddedStatement[];
  /** What inside could not be linted (dynamic SQL, another language, a body that does not parse). */
  unlinted: { reason: string; start: number }[];
}

// Maps an offset in some inner text to a character offset in the linted text.
type CharMap = (index: number) => number;

const defElems = (list: readonly Node[] | undefined): Map<string, Node | undefined> =>
  new Map(
    (list ?? []).flatMap((item) => {
      const element = nodeAs(item, 'DefElem');
      return element?.defname === undefined ? [] : [[element.defname, element.arg] as const];
    }),
  );

/**
 * The SQL statements a DO block or a `LANGUAGE plpgsql` function or procedure runs, read with
 * PostgreSQL's PL/pgSQL parser: every static statement at any depth (IF, LOOP, nested
 * blocks), and `EXECUTE 'constant string'`. `undefined` for other statements and for
 * functions in other languages.
 */
export async function embeddedSql(statement: SqlStatement): Promise<EmbeddedSql | undefined> {
  const atStatement: CharMap = (index) => statement.start + index;
  let options: Map<string, Node | undefined>;
  let kind: EmbeddedSql['kind'];
  let container: string;
  if (statement.kind === 'DoStmt') {
    kind = 'do';
    container = 'the DO block';
    options = defElems(nodeAs(statement.node as Node, 'DoStmt')?.args);
  } else if (statement.kind === 'CreateFunctionStmt') {
    const create = nodeAs(statement.node as Node, 'CreateFunctionStmt');
    if (create?.sql_body !== undefined) return undefined;
    kind = 'function';
    container = `${create?.is_procedure ? 'procedure' : 'function'} ${stringValues(create?.funcname).join('.')}()`;
    options = defElems(create?.options);
  } else {
    return undefined;
  }
  const language = nodeAs(options.get('language'), 'String')?.sval ?? 'plpgsql';
  const as = options.get('as');
  const body = nodeAs(as, 'String')?.sval ?? stringValues(nodeAs(as, 'List')?.items)[0];
  const result: EmbeddedSql = { kind, container, statements: [], unlinted: [] };
  if (language.toLowerCase() !== 'plpgsql' || body === undefined) {
    if (kind === 'function') return undefined;
    result.unlinted.push({ reason: `it is written in ${language}`, start: statement.start });
    return result;
  }
  const atBody = bodyMap(statement.sql, body, atStatement);
  let tree: unknown;
  try {
    tree = await parsePlPgSql(statement.sql);
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    result.unlinted.push({
      reason: `PostgreSQL's PL/pgSQL parser cannot read its body (${error.parserMessage})`,
      start: statement.start,
    });
    return result;
  }
  const lineStarts = [0];
  for (let i = body.indexOf('\n'); i !== -1; i = body.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const locate = (lineno: number | undefined, text: string): number => {
    const from = lineStarts[Math.max(0, (lineno ?? 1) - 1)] ?? 0;
    return findText(body, text, from) ?? from;
  };
  for (const found of plpgsqlStatements(tree)) {
    const at = locate(found.lineno, found.query);
    const atQuery: CharMap = (index) => atBody(at + index);
    if (found.kind === 'sql') {
      await addStatements(result, found.query, atQuery, false);
      continue;
    }
    const literal = constantString(found.query);
    if (literal === undefined) {
      result.unlinted.push({ reason: 'EXECUTE runs a string computed at run time', start: atQuery(0) });
    } else {
      await addStatements(result, literal.value, (index) => atQuery(literal.textOffsetOf(index)), true);
    }
  }
  return result;
}

async function addStatements(result: EmbeddedSql, sql: string, at: CharMap, dynamic: boolean): Promise<void> {
  let statements: SqlStatement[];
  try {
    statements = await splitSqlStatements(sql);
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    const what = dynamic ? 'the string EXECUTE runs' : 'a statement';
    result.unlinted.push({ reason: `the parser cannot read ${what} (${error.parserMessage})`, start: at(0) });
    return;
  }
  const offsets = textOffsets(sql);
  for (const statement of statements) {
    result.statements.push({
      node: statement.node as Node,
      start: at(statement.start),
      charOf: (location) => at(offsets.charOfByte(location)),
    });
  }
}

interface FoundStatement {
  kind: 'sql' | 'execute';
  lineno: number | undefined;
  query: string;
}

// Every PLpgSQL_stmt_execsql and PLpgSQL_stmt_dynexecute in the function tree, in order.
function plpgsqlStatements(tree: unknown): FoundStatement[] {
  const found: FoundStatement[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const record = value as Record<string, unknown>;
    const execsql = record.PLpgSQL_stmt_execsql as
      | { lineno?: number; sqlstmt?: { PLpgSQL_expr?: { query?: string } } }
      | undefined;
    const dynexecute = record.PLpgSQL_stmt_dynexecute as
      | { lineno?: number; query?: { PLpgSQL_expr?: { query?: string } } }
      | undefined;
    const sql = execsql?.sqlstmt?.PLpgSQL_expr?.query;
    if (sql !== undefined) found.push({ kind: 'sql', lineno: execsql?.lineno, query: sql });
    const dynamic = dynexecute?.query?.PLpgSQL_expr?.query;
    if (dynamic !== undefined) found.push({ kind: 'execute', lineno: dynexecute?.lineno, query: dynamic });
    for (const child of Object.values(record)) visit(child);
  };
  visit(tree);
  return found;
}

// Where the body's text sits in the statement: the string token whose value it is.
function bodyMap(statementSql: string, body: string, at: CharMap): CharMap {
  for (const token of lexSql(statementSql)) {
    const string = stringValue(token);
    if (string?.value === body) return (index) => at(token.start + string.textOffsetOf(index));
  }
  return () => at(0);
}

// The offset of `text` in `body` from `from` on. PL/pgSQL blanks out the INTO clause of a
// statement with spaces, so a space in `text` matches any character.
function findText(body: string, text: string, from: number): number | undefined {
  const exact = body.indexOf(text, from);
  if (exact !== -1) return exact;
  for (let start = from; start + text.length <= body.length; start++) {
    let matches = true;
    for (let i = 0; i < text.length && matches; i++) {
      matches = text[i] === ' ' || text[i] === body[start + i];
    }
    if (matches) return start;
  }
  return undefined;
}

// The value of an EXECUTE expression that is one string constant, with where its characters are.
function constantString(expression: string): StringValue | undefined {
  const tokens = lexSql(expression).filter((token) => !isComment(token));
  const only = tokens.length === 1 ? tokens[0] : undefined;
  const value = only && stringValue(only);
  if (!only || !value) return undefined;
  return { value: value.value, textOffsetOf: (index) => only.start + value.textOffsetOf(index) };
}
