import type { Span, SpanOptions, SpanStatusCode, Tracer } from '@opentelemetry/api';
import { describeError } from './error-type.js';
import { openTelemetryApi } from './opentelemetry-api.js';
import { ATTR_DB_RESPONSE_STATUS_CODE, ATTR_ERROR_TYPE } from './semantic-attributes.js';

const STATUS_ERROR: SpanStatusCode = 2; // SpanStatusCode.ERROR, without loading the API for it

/**
 * Marks `span` failed by `error`: `error.type`, `db.response.status_code` (the SQLSTATE, when
 * there is one) and an error status whose description is the error's code. The message is
 * left out on purpose: PostgreSQL quotes values in some of its messages.
 */
export function recordFailure(span: Span, error: unknown): void {
  const description = describeError(error);
  span.setAttribute(ATTR_ERROR_TYPE, description.type);
  if (description.statusCode !== undefined) {
    span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, description.statusCode);
  }
  span.setStatus({ code: STATUS_ERROR, message: description.statusMessage });
}

/** Runs `fn` with `span` as the active span, so spans started inside are its children. */
export function runInSpan<T>(span: Span, fn: () => T): T {
  const api = openTelemetryApi();
  if (api === undefined) return fn();
  return api.context.with(api.trace.setSpan(api.context.active(), span), fn);
}

/**
 * Runs `fn` inside a new span named `name` (a child of the active span) and ends the span
 * when the promise settles; a rejection is recorded with `recordFailure` and passed on.
 * `fn` gets the span to add attributes or events.
 */
export async function traceOperation<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = tracer.startSpan(name, options);
  try {
    return await runInSpan(span, () => fn(span));
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}
