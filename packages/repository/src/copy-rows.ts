import { escapeIdentifier, quoteQualifiedName } from '@strata/errors';
import { type BinaryFieldWriter, binaryFieldWriter, copyBinaryChunks } from './copy-binary-format.js';
import { copyChunks } from './copy-chunks.js';
import { COPY_NULL, type CopyFieldEncoder, CopyValueError, copyFieldEncoder } from './copy-text-format.js';
import { InvalidRowsError } from './repository-errors.js';
import { assertRowFields } from './row-fields.js';
import type { ColumnDescription } from './table-description.js';

/** A column of a bulk insert: where its values come from. */
export interface CopyColumn {
  column: ColumnDescription;
  /** The row field holding its values; undefined when every row gets `constant`. */
  field: string | undefined;
  constant?: unknown;
}

/** One `COPY … FROM STDIN` ready to run. */
export interface CopyStatement {
  statement: string;
  chunks: Iterable<Buffer>;
}

export interface CopyRowsOptions {
  /** The fields every row must define (those of row 0). */
  fields: readonly string[];
  /**
   * `upfront`: check every row's fields and every value's binary form before the COPY starts,
   * so the COPY itself cannot fail on them — for a COPY inside someone else's transaction.
   * `streaming`: check while the rows stream, in the same pass as encoding; a bad row aborts
   * the COPY (InvalidRowsError), and a value without an exact binary form aborts it with
   * BinaryFormatMismatch, to be run again with `copy(ids, 'text')` — for a COPY in a
   * transaction of the caller's own, which it can roll back.
   */
  validate: 'upfront' | 'streaming';
}

/**
 * The COPY of a batch of rows, with or without an extra id column. It uses the binary format
 * when every column's type has a binary writer and every value is one the writer accepts (the
 * server then skips text parsing), and the text format otherwise.
 */
export class CopyRows {
  readonly #entity: string;
  readonly #table: string;
  readonly #rows: readonly Record<string, unknown>[];
  readonly #columns: readonly CopyColumn[];
  readonly #streaming: boolean;
  readonly #checkRow: ((index: number) => void) | undefined;
  readonly #binaryWriters: BinaryFieldWriter[] | undefined;

  constructor(
    entity: string,
    table: string,
    rows: readonly Record<string, unknown>[],
    columns: readonly CopyColumn[],
    options: CopyRowsOptions,
  ) {
    this.#entity = entity;
    this.#table = table;
    this.#rows = rows;
    this.#columns = columns;
    this.#streaming = options.validate === 'streaming';
    const { fields } = options;
    const expected = new Set(fields);
    const checkRow = (index: number) => assertRowFields(entity, rows[index], index, fields, expected);
    if (this.#streaming) {
      this.#checkRow = (index) => {
        if (index > 0) checkRow(index);
      };
      this.#binaryWriters = this.#binaryWritersFor(false);
    } else {
      for (let index = 1; index < rows.length; index++) checkRow(index);
      this.#checkRow = undefined;
      this.#binaryWriters = this.#binaryWritersFor(true);
    }
  }

  /**
   * The COPY of the rows; with `ids`, their values go into the extra column `ids.column`.
   * `format: 'text'` forces the text format.
   */
  copy(ids?: { column: ColumnDescription; values: readonly unknown[] }, format?: 'text'): CopyStatement {
    // Column names come from the catalog; the table name from the model, so it is validated.
    const names = this.#columns.map((entry) => escapeIdentifier(entry.column.name));
    if (ids) names.push(escapeIdentifier(ids.column.name));
    const target = `copy ${quoteQualifiedName(this.#table)} (${names.join(', ')}) from stdin`;
    const idWriter = ids ? binaryFieldWriter(ids.column.type) : undefined;
    if (format !== 'text' && this.#binaryWriters && (!ids || idWriter)) {
      const writers = idWriter ? [...this.#binaryWriters, idWriter] : this.#binaryWriters;
      return {
        statement: `${target} with (format binary)`,
        chunks: copyBinaryChunks(writers, {
          count: this.#rows.length,
          valueAt: this.#valueReader(ids?.values),
          ...(this.#checkRow ? { beforeRow: this.#checkRow } : {}),
          checkValues: this.#streaming,
        }),
      };
    }
    return { statement: target, chunks: this.#textChunks(ids?.values) };
  }

  // Binary writers for every column, or undefined when a type has none. With `checkRows`,
  // also undefined when some value has no exact binary form (one pass, row by row).
  #binaryWritersFor(checkRows: boolean): BinaryFieldWriter[] | undefined {
    const writers: BinaryFieldWriter[] = [];
    for (const { column, field, constant } of this.#columns) {
      const writer = binaryFieldWriter(column.type);
      if (!writer) return undefined;
      if (field === undefined && constant !== null && constant !== undefined && !writer.accepts(constant)) {
        return undefined;
      }
      writers.push(writer);
    }
    if (!checkRows) return writers;
    const checked = this.#columns.flatMap(({ field }, column) =>
      field === undefined ? [] : [{ field, writer: writers[column] as BinaryFieldWriter }],
    );
    for (const row of this.#rows) {
      for (const { field, writer } of checked) {
        const value = row[field];
        if (value !== null && value !== undefined && !writer.accepts(value)) return undefined;
      }
    }
    return writers;
  }

  #valueReader(ids: readonly unknown[] | undefined): (index: number, column: number) => unknown {
    const rows = this.#rows;
    const width = this.#columns.length;
    const fields = this.#columns.map((entry) => entry.field);
    const constants = this.#columns.map((entry) => entry.constant);
    return (index, column) => {
      if (column === width) return ids?.[index];
      const field = fields[column];
      return field === undefined ? constants[column] : (rows[index] as Record<string, unknown>)[field];
    };
  }

  #textChunks(ids: readonly unknown[] | undefined): Iterable<Buffer> {
    const rows = this.#rows;
    const checkRow = this.#checkRow;
    const fields = this.#columns.map((entry) => entry.field);
    const encoders: CopyFieldEncoder[] = this.#columns.map(({ column, field, constant }) => {
      const encode = copyFieldEncoder(column.kind);
      if (field !== undefined) return encode;
      const text = encode(constant);
      return () => text;
    });
    const width = encoders.length;
    return copyChunks(rows.length, ids ? width + 1 : width, (index, texts) => {
      checkRow?.(index);
      const row = rows[index] as Record<string, unknown>;
      let column = 0;
      try {
        for (; column < width; column++) {
          const field = fields[column];
          texts[column] = (encoders[column] as CopyFieldEncoder)(
            field === undefined ? undefined : row[field],
          );
        }
      } catch (error) {
        if (!(error instanceof CopyValueError)) throw error;
        throw new InvalidRowsError(this.#entity, `row ${index}, field "${fields[column]}": ${error.message}`);
      }
      if (ids) {
        const id = ids[index];
        texts[width] = id === null || id === undefined ? COPY_NULL : String(id);
      }
    });
  }
}
