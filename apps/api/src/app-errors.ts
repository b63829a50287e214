import { StrataError } from '@strata/errors';

/**
 * A request refers to another entity that does not exist (e.g. an order for an unknown user).
 * `field` names the request field, so the 422 answer can point at it.
 */
export class UnknownReferenceError extends StrataError {
  readonly field: string;
  readonly entity: string;
  readonly id: string;

  constructor(field: string, entity: string, id: string, options: { cause?: unknown } = {}) {
    super('UNKNOWN_REFERENCE', `${field} refers to ${entity} ${id}, which does not exist.`, options);
    this.field = field;
    this.entity = entity;
    this.id = id;
  }
}

/** A write that needs the version the client read (optimistic locking) came without it. */
export class PreconditionRequiredError extends StrataError {
  constructor() {
    super(
      'PRECONDITION_REQUIRED',
      'Send the version you read: an If-Match header with the ETag from GET (e.g. If-Match: "3") or a "version" field. ' +
        'This keeps two clients from overwriting each other.',
    );
  }
}

/** `If-Match` and the body's `version` name different versions; the client must pick one. */
export class ConflictingVersionsError extends StrataError {
  constructor(header: number, body: number) {
    super(
      'CONFLICTING_VERSIONS',
      `If-Match names version ${header} but the body names version ${body}. Send one of them, or the same version in both.`,
    );
  }
}

/** The `X-Wal-Position` request header is not a WAL position the API returned. */
export class InvalidWalPositionError extends StrataError {
  constructor(options: { cause?: unknown } = {}) {
    super(
      'INVALID_WAL_POSITION',
      'X-Wal-Position must be a WAL position exactly as a response returned it (e.g. 0/3000148), or absent.',
      options,
    );
  }
}

/**
 * A request the API does not read as sent: a body with a Content-Encoding or a charset other
 * than UTF-8 (415), or an HTTP/1.1 request without a Host header (400).
 */
export class UnreadableRequestError extends StrataError {
  constructor(
    code: 'UNSUPPORTED_CONTENT_ENCODING' | 'UNSUPPORTED_CHARSET' | 'HOST_REQUIRED',
    message: string,
  ) {
    super(code, message);
  }
}

/** A place in the request holding text the API will not store: a NUL, or not well-formed Unicode. */
export interface MalformedText {
  in: 'body' | 'query';
  field: string;
  detail: string;
}

/**
 * Strings in the body or query that PostgreSQL would refuse (a NUL) or silently change (an
 * unpaired surrogate, or bytes that were not UTF-8): rejected before validation, every one named.
 */
export class MalformedTextError extends StrataError {
  readonly fields: readonly MalformedText[];

  constructor(fields: readonly MalformedText[]) {
    super(
      'MALFORMED_TEXT',
      `${fields.length} field(s) hold text that cannot be stored as sent (a NUL character, or text that is not well-formed UTF-8).`,
    );
    this.fields = fields;
  }
}
