import { StrataError } from '@strata/errors';
import {
  UNSTORABLE_TEXT_PROBLEMS,
  type UnstorableText,
  type UnstorableTextReason,
} from './unstorable-text.js';

/**
 * No row has the id (or ids) a `get…` method asked for. `entity` names the model, `id` the
 * first missing id and `ids` every missing one, so a handler can answer 404 with details.
 */
export class NotFoundError extends StrataError {
  /** The entity that was looked up, e.g. `User`. */
  readonly entity: string;
  /** The missing id (the first one, when several were asked for). */
  readonly id: unknown;
  /** Every missing id, in the order they were asked for. */
  readonly ids: readonly unknown[];

  constructor(entity: string, ids: readonly unknown[]) {
    const shown = ids.slice(0, 10).map(String).join(', ');
    const more = ids.length > 10 ? ` and ${ids.length - 10} more` : '';
    super(
      'NOT_FOUND',
      ids.length === 1
        ? `${entity} ${shown} was not found.`
        : `${ids.length} ${entity} ids were not found: ${shown}${more}.`,
    );
    this.entity = entity;
    this.id = ids[0];
    this.ids = ids;
  }
}

/**
 * A field name that the repository's allowlist does not permit for this use (sorting,
 * filtering or writing). Field names become SQL identifiers, so only listed ones pass.
 */
export class FieldNotAllowedError extends StrataError {
  readonly entity: string;
  readonly field: string;
  /** What the field was used for. */
  readonly use: 'sort' | 'filter' | 'write';
  readonly allowed: readonly string[];

  constructor(
    entity: string,
    field: string,
    use: 'sort' | 'filter' | 'write',
    allowed: readonly string[],
    reason?: string,
  ) {
    const option = { sort: 'sortable', filter: 'filterable', write: 'writable' }[use];
    const verb = { sort: `sort ${entity} by`, filter: `filter ${entity} on`, write: `write ${entity} field` }[
      use
    ];
    super(
      'FIELD_NOT_ALLOWED',
      `Cannot ${verb} "${field}": ${
        reason ??
        `it is not in the repository's \`${option}\` list (allowed: ${
          allowed.length > 0 ? allowed.join(', ') : 'none'
        }). Add it to \`${option}\` if it should be.`
      }`,
    );
    this.entity = entity;
    this.field = field;
    this.use = use;
    this.allowed = allowed;
  }
}

/** A `list()` cursor that is malformed, was altered, or belongs to a different sort order. */
export class InvalidCursorError extends StrataError {
  constructor(reason: string) {
    super(
      'INVALID_CURSOR',
      `Invalid pagination cursor: ${reason}. Pass back a nextCursor exactly as list() returned it, with the same orderBy.`,
    );
  }
}

/** Options of `list()` or `findOne()` that break a rule: page size out of range, malformed filter or sort. */
export class InvalidQueryError extends StrataError {
  readonly option: string;

  constructor(option: string, message: string) {
    super('INVALID_QUERY', `Invalid query option \`${option}\`: ${message}`);
    this.option = option;
  }
}

/** A relation named in `with` that the model's `relationMappings` do not define. */
export class UnknownRelationError extends StrataError {
  readonly relation: string;
  readonly available: readonly string[];

  constructor(model: string, relation: string, available: readonly string[]) {
    super(
      'UNKNOWN_RELATION',
      `${model} has no relation "${relation}" (its relationMappings define: ${
        available.length > 0 ? available.join(', ') : 'none'
      }).`,
    );
    this.relation = relation;
    this.available = available;
  }
}

/** `findOne(where)` matched more than one row: the filter does not identify a single entity. */
export class MultipleRowsFoundError extends StrataError {
  readonly entity: string;

  constructor(entity: string, fields: readonly string[]) {
    super(
      'MULTIPLE_ROWS_FOUND',
      `findOne() matched more than one ${entity} (filter on ${fields.join(', ') || 'nothing'}). ` +
        'Filter on a unique field, or use list() when several rows are expected.',
    );
    this.entity = entity;
  }
}

/** Rows given to `create`, `createMany`, `update` or `upsert` that cannot be written as they are. */
export class InvalidRowsError extends StrataError {
  constructor(entity: string, message: string) {
    super('INVALID_ROWS', `Cannot write ${entity}: ${message}`);
  }
}

/**
 * A value to write holds text PostgreSQL would not store as given: a NUL character (U+0000;
 * the statement would fail) or an unpaired UTF-16 surrogate (it would silently become U+FFFD).
 * Thrown before anything is sent. `field` names the model field, `column` its column, `row`
 * the row's index in `createMany`, `path` the place inside a json or array value.
 */
export class InvalidTextError extends StrataError {
  readonly entity: string;
  readonly field: string;
  readonly column: string;
  readonly reason: UnstorableTextReason;
  /** The index of the row in `createMany`; undefined for single-row writes. */
  readonly row: number | undefined;
  /** Keys and indexes inside the field's value (json, arrays); empty for the value itself. */
  readonly path: readonly (string | number)[];

  constructor(entity: string, field: string, column: string, found: UnstorableText, row?: number) {
    const where = [
      row === undefined ? '' : ` in row ${row}`,
      found.path.length === 0 ? '' : ` at ${found.path.map((key) => JSON.stringify(key)).join('.')}`,
    ].join('');
    const fix =
      found.reason === 'nul'
        ? 'Remove the character (binary data belongs in a bytea column).'
        : 'Send well-formed text: check how it was decoded.';
    super(
      'INVALID_TEXT',
      `Cannot write ${entity} field "${field}" (column ${column})${where}: the text ${
        UNSTORABLE_TEXT_PROBLEMS[found.reason]
      }. ${fix}`,
    );
    this.entity = entity;
    this.field = field;
    this.column = column;
    this.reason = found.reason;
    this.row = row;
    this.path = found.path;
  }
}
