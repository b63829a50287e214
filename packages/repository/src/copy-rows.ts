import { type BinaryFieldWriter, binaryFieldWriter, copyBinaryChunks } from './copy-binary-format.js';
import { copyChunks } from './copy-chunks.js';
import { COPY_NULL, type CopyFieldEncoder, CopyValueError, copyFieldEncoder } from './copy-text-format.js';
import { InvalidRowsError } from './repository-errors.js';
import { quoteIdentifier } from './sql-identifier.js';
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
  readonly #binaryWriters: BinaryFieldWriter[] | undefined;

  constructor(
    entity: string,
    table: string,
    rows: readonly Record<string, unknown>[],
    columns: readonly CopyColumn[],
  ) {
    this.#entity = entity;
    this.#table = table;
    this.#rows = rows;
    this.#columns = columns;
    this.#binaryWriters = this.#binaryFits();
  }

  /** The COPY of the rows; with `ids`, their values go into the extra column `ids.column`. */
  copy(ids?: { column: ColumnDescription; values: readonly unknown[] }): CopyStatement {
    const names = this.#columns.map((entry) => quoteIdentifier(entry.column.name));
    if (ids) names.push(quoteIdentifier(ids.column.name));
    const target = `copy ${quoteIdentifier(this.#table)} (${names.join(', ')}) from stdin`;
    const idWriter = ids ? binaryFieldWriter(ids.column.type) : undefined;
    if (this.#binaryWriters && (!ids || idWriter)) {
      const writers = idWriter ? [...this.#binaryWriters, idWriter] : this.#binaryWriters;
      return {
        statement: `${target} with (format binary)`,
        chunks: copyBinaryChunks(this.#rows.length, writers, this.#valueReader(ids?.values)),
      };
    }
    return { statement: target, chunks: this.#textChunks(ids?.values) };
  }

  // Binary writers for every column, if every value is one they write exactly as the text path would.
  #binaryFits(): BinaryFieldWriter[] | undefined {
    const writers: BinaryFieldWriter[] = [];
    for (const { column, field, constant } of this.#columns) {
      const writer = binaryFieldWriter(column.type);
      if (!writer) return undefined;
      if (field === undefined) {
        if (constant !== null && constant !== undefined && !writer.accepts(constant)) return undefined;
      } else {
        for (const row of this.#rows) {
          const value = row[field];
          if (value !== null && value !== undefined && !writer.accepts(value)) return undefined;
        }
      }
      writers.push(writer);
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
    const fields = this.#columns.map((entry) => entry.field);
    const encoders: CopyFieldEncoder[] = this.#columns.map(({ column, field, constant }) => {
      const encode = copyFieldEncoder(column.kind);
      if (field !== undefined) return encode;
      const text = encode(constant);
      return () => text;
    });
    const width = encoders.length;
    return copyChunks(rows.length, ids ? width + 1 : width, (index, texts) => {
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
