import type { FieldError } from './common-schemas.js';
import type { ProblemSlug } from './problem-types.js';

/** What an error becomes on the wire, before the request's own parts (instance, requestId) are added. */
export interface ProblemAnswer {
  slug: ProblemSlug;
  detail: string;
  errors?: FieldError[];
  /** Seconds for a Retry-After header (503s). */
  retryAfterSeconds?: number;
  /** Whether the error is the server's fault: logged with its stack at error level. */
  serverFault: boolean;
}

interface ErrorFields {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
  field?: unknown;
  statusCode?: unknown;
  option?: unknown;
  fields?: unknown;
}

/** Unique constraints the API knows, by name: which request field they guard. */
const UNIQUE_FIELDS: Record<string, { field: string; detail: string }> = {
  users_email_key: { field: 'email', detail: 'is already taken by another user' },
};

/** Foreign keys that stop a delete, by name: what to tell the caller. */
const REFERENCED_BY: Record<string, string> = {
  orders_user_id_fkey: 'The user has orders and cannot be deleted.',
  order_items_order_id_fkey: 'The order has items and cannot be deleted.',
};

const busy = (detail: string): ProblemAnswer => ({
  slug: 'try-again',
  detail,
  retryAfterSeconds: 1,
  serverFault: false,
});

/**
 * Maps an error to the problem the API answers with, by the stable `code` of Strata's error
 * classes (and of Fastify's own request errors). This is the one place where errors become
 * HTTP: a new error code gets its answer here. Details never carry SQL text, bound values,
 * stack traces or server internals; anything unknown is a 500 with a generic detail.
 */
export function errorToProblem(error: unknown): ProblemAnswer {
  const fields = (typeof error === 'object' && error !== null ? error : {}) as ErrorFields;
  const code = typeof fields.code === 'string' ? fields.code : '';
  const message = typeof fields.message === 'string' ? fields.message : '';
  switch (code) {
    case 'NOT_FOUND': // @strata/repository NotFoundError: "User 42 was not found."
      return { slug: 'not-found', detail: message, serverFault: false };
    case 'UNIQUE_VIOLATION': {
      const known = UNIQUE_FIELDS[String(fields.constraint)];
      return {
        slug: 'duplicate',
        detail: known ? `${known.field} ${known.detail}.` : 'It conflicts with an existing record.',
        ...(known ? { errors: [{ in: 'body', field: known.field, detail: known.detail }] } : {}),
        serverFault: false,
      };
    }
    case 'OPTIMISTIC_LOCK_CONFLICT': // @strata/transactions OptimisticLockError
      return {
        slug: 'version-conflict',
        detail:
          'It was changed by someone else since you read it. GET it again, reapply your change and send the new version.',
        serverFault: false,
      };
    case 'FOREIGN_KEY_VIOLATION':
      return {
        slug: 'still-referenced',
        detail: REFERENCED_BY[String(fields.constraint)] ?? 'Other records still refer to it.',
        serverFault: false,
      };
    case 'UNKNOWN_REFERENCE': // the API's UnknownReferenceError
      return {
        slug: 'unknown-reference',
        detail: message,
        errors: [{ in: 'body', field: String(fields.field), detail: 'refers to nothing that exists' }],
        serverFault: false,
      };
    case 'PRECONDITION_REQUIRED':
      return { slug: 'precondition-required', detail: message, serverFault: false };
    case 'CONFLICTING_VERSIONS':
      return {
        slug: 'validation-error',
        detail: message,
        errors: [
          { in: 'header', field: 'if-match', detail: 'names another version than the body' },
          { in: 'body', field: 'version', detail: 'names another version than If-Match' },
        ],
        serverFault: false,
      };
    case 'INVALID_CURSOR': // @strata/repository InvalidCursorError, whatever was wrong with it
      return {
        slug: 'invalid-cursor',
        detail:
          'The cursor is not valid: pass back a nextCursor exactly as it was returned, with the same sort.',
        errors: [{ in: 'query', field: 'after', detail: 'is not a cursor this list returned' }],
        serverFault: false,
      };
    case 'INVALID_QUERY': {
      // @strata/repository InvalidQueryError: the schemas should have caught it, but it is
      // about the request's parameters, not a fault of ours.
      const option = typeof fields.option === 'string' ? fields.option.replace(/^where\./, '') : 'query';
      return {
        slug: 'bad-request',
        detail: 'A query parameter is not valid.',
        errors: [{ in: 'query', field: option, detail: 'is not valid here' }],
        serverFault: false,
      };
    }
    case 'MALFORMED_TEXT': // the API's MalformedTextError: every field named
      return {
        slug: 'validation-error',
        detail: 'The request has text that cannot be stored as sent; see errors.',
        errors: Array.isArray(fields.fields) ? (fields.fields as FieldError[]) : [],
        serverFault: false,
      };
    case 'INVALID_TEXT': // @strata/repository InvalidTextError: caught before it was sent
      return {
        slug: 'validation-error',
        detail: 'The request has text that cannot be stored as sent; see errors.',
        errors: [
          {
            in: 'body',
            field: String(fields.field),
            detail: 'must not contain a NUL character and must be well-formed Unicode',
          },
        ],
        serverFault: false,
      };
    case 'UNSUPPORTED_CHARACTER': // @strata/errors: PostgreSQL refused a character
      return {
        slug: 'bad-request',
        detail: 'A text value holds a character that cannot be stored (such as NUL).',
        serverFault: false,
      };
    case 'UNSUPPORTED_CONTENT_ENCODING':
    case 'UNSUPPORTED_CHARSET':
      return { slug: 'unsupported-media-type', detail: message, serverFault: false };
    case 'HOST_REQUIRED':
      return { slug: 'bad-request', detail: message, serverFault: false };
    case 'FST_ERR_BAD_URL':
      return {
        slug: 'bad-request',
        detail: 'The URL is not valid: a percent-encoded sequence does not decode to UTF-8 text.',
        serverFault: false,
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        slug: 'uri-too-long',
        detail: 'A path segment is longer than 100 characters.',
        serverFault: false,
      };
    case 'CHECK_VIOLATION':
    case 'NOT_NULL_VIOLATION':
    case 'EXCLUSION_VIOLATION':
      return {
        slug: 'constraint-violation',
        detail: 'The data breaks a rule of the schema.',
        serverFault: false,
      };
    case 'POOL_TIMEOUT': // @strata/pool PoolTimeoutError: every connection stayed busy
      return {
        slug: 'overloaded',
        detail: 'The service is busy: no database connection became free in time. Retry shortly.',
        retryAfterSeconds: 1,
        serverFault: false,
      };
    case 'POOL_CLOSED':
      return {
        slug: 'database-unavailable',
        detail: 'The service is shutting down. Retry shortly.',
        retryAfterSeconds: 1,
        serverFault: false,
      };
    case 'CONNECTION_ERROR':
      return {
        slug: 'database-unavailable',
        detail: 'The database cannot be reached right now. Retry shortly.',
        retryAfterSeconds: 5,
        serverFault: false,
      };
    case 'READ_ONLY_TRANSACTION': // a write reached a standby: a failover is under way
    case 'READ_WRITE_DURING_RECOVERY':
      return {
        slug: 'database-unavailable',
        detail: 'The database cannot take changes right now (it is switching primaries). Retry shortly.',
        retryAfterSeconds: 1,
        serverFault: false,
      };
    case 'INVALID_WAL_POSITION':
      return {
        slug: 'validation-error',
        detail: message,
        errors: [
          { in: 'header', field: 'x-wal-position', detail: 'is not a WAL position this API returned' },
        ],
        serverFault: false,
      };
    case 'SERIALIZATION_FAILURE':
    case 'RECOVERY_CONFLICT':
    case 'DEADLOCK_DETECTED':
    case 'TRANSACTION_RETRIES_EXHAUSTED':
      return busy('The change collided with concurrent changes and could not be completed. Retry shortly.');
    case 'LOCK_NOT_AVAILABLE':
    case 'STATEMENT_TIMEOUT':
    case 'QUERY_CANCELLED':
    case 'IDLE_IN_TRANSACTION_TIMEOUT':
      return busy('The database did not complete the request in time. Retry shortly.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        slug: 'unsupported-media-type',
        detail: 'Send the body as JSON with Content-Type: application/json (UTF-8).',
        serverFault: false,
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { slug: 'payload-too-large', detail: 'The request body is too large.', serverFault: false };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        slug: 'bad-request',
        detail: `The body is not valid JSON. ${message}`.trim(),
        serverFault: false,
      };
  }
  // Other client errors raised while reading a request (bad Content-Length, an aborted
  // body, ...). Only Fastify's own messages are shown: they describe the request.
  const status = typeof fields.statusCode === 'number' ? fields.statusCode : 500;
  if (status >= 400 && status < 500) {
    const detail = code.startsWith('FST_') && message ? message : 'The request cannot be read.';
    return { slug: 'bad-request', detail, serverFault: false };
  }
  return {
    slug: 'internal-error',
    detail: 'Something failed on our side. Quote the requestId when you report it.',
    serverFault: true,
  };
}
