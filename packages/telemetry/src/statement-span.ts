import type { Attributes, Span, SpanKind, Tracer } from '@opentelemetry/api';
import {
  ATTR_DB_COLLECTION_NAME,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
} from './semantic-attributes.js';
import { describeStatement } from './statement-description.js';
import { recordFailure } from './traced-operation.js';

const CLIENT: SpanKind = 2; // SpanKind.CLIENT

/**
 * Starts the CLIENT span of one statement, a child of the active span: named
 * `{operation} {table}` and carrying `base` (see `databaseAttributes`) plus
 * `db.operation.name`, `db.collection.name` and `db.query.text` (literals replaced by `?`;
 * bound values are never looked at).
 */
export function startStatementSpan(tracer: Tracer, base: Readonly<Attributes>, text: string): Span {
  const statement = describeStatement(text);
  const attributes: Attributes = { ...base, [ATTR_DB_QUERY_TEXT]: statement.queryText };
  if (statement.operation !== undefined) attributes[ATTR_DB_OPERATION_NAME] = statement.operation;
  if (statement.collection !== undefined) attributes[ATTR_DB_COLLECTION_NAME] = statement.collection;
  return tracer.startSpan(statement.spanName, { kind: CLIENT, attributes });
}

/**
 * Runs one statement (`send`) inside its span (`startStatementSpan`), recording a failure
 * and ending the span when it settles. Callers reach for it only when `current()` gave them
 * a tracer, so the untraced path keeps its single promise.
 */
export async function traceStatement<T>(
  tracer: Tracer,
  base: Readonly<Attributes>,
  text: string,
  send: () => Promise<T>,
): Promise<T> {
  const span = startStatementSpan(tracer, base, text);
  try {
    return await send();
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}
