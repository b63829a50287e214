import { randomUUID } from 'node:crypto';
import { getAmbientConnection, type Pool } from '@strata/pool';
import { knexClientOf } from '@strata/transactions';
import type { Model } from 'objection';
import { BinaryFormatMismatch } from './copy-binary-format.js';
import { copyFromStdin } from './copy-from-stdin.js';
import { type CopyColumn, CopyRows } from './copy-rows.js';
import { CopyValueError, stringifyJson } from './copy-text-format.js';
import { copyWithSequenceDefault } from './copy-with-sequence-default.js';
import { CREATED_AT, type ModelTable, UPDATED_AT } from './model-table.js';
import type { IdOf, NewEntity } from './model-types.js';
import { preallocateIds } from './preallocate-ids.js';
import { InvalidRowsError } from './repository-errors.js';
import type { RepositoryTracing } from './repository-tracing.js';
import { assertRowFields, fieldsOfFirstRow } from './row-fields.js';
import type { ColumnDescription, TableDescription } from './table-description.js';

// PostgreSQL's limit on bind parameters in one statement.
const MAX_PARAMETERS = 65_535;
// After createMany found the id sequence used by another session mid-COPY, how long it takes
// ids up front instead of retrying the cheaper path.
const SEQUENCE_CONTENTION_BACKOFF_MS = 60_000;

/**
 * The bulk insert of a repository (`createMany`): one multi-row INSERT below `copyThreshold`
 * rows, `COPY … FROM STDIN` from it on, returning the ids in input order either way.
 */
export class BulkInsert<M extends Model> {
  readonly #table: ModelTable<M>;
  readonly #tracing: RepositoryTracing;
  #sequenceContendedUntil = 0;

  constructor(table: ModelTable<M>, tracing: RepositoryTracing) {
    this.#table = table;
    this.#tracing = tracing;
  }

  async createMany(rows: readonly NewEntity<M>[]): Promise<IdOf<M>[]> {
    const table = this.#table;
    if (!Array.isArray(rows)) throw new InvalidRowsError(table.entity, 'createMany() takes an array of rows');
    if (rows.length === 0) return [];
    const fields = fieldsOfFirstRow(table.entity, rows);
    const description = await table.describe();
    for (const field of fields) table.assertWritableField(field, description);
    const now = new Date();
    const columns: CopyColumn[] = fields.map((field) => {
      const column = description.columns.get(table.column(field));
      if (!column) throw table.notAColumn(field, 'write');
      return { column, field };
    });
    for (const timestamp of [CREATED_AT, UPDATED_AT]) {
      const column = description.columns.get(timestamp);
      if (column && !columns.some((entry) => entry.column.name === timestamp)) {
        columns.push({ column, field: undefined, constant: now });
      }
    }
    const useCopy =
      rows.length >= table.options.copyThreshold || rows.length * columns.length > MAX_PARAMETERS;
    const records = rows as readonly Record<string, unknown>[];
    // Before any statement, on both paths: COPY would fail on a NUL halfway, and encode an
    // unpaired surrogate as U+FFFD as the INSERT would.
    for (let index = 0; index < records.length; index++) {
      const record = records[index];
      if (typeof record !== 'object' || record === null) continue; // assertRowFields names it
      for (const field of fields) table.assertStorableText(field, record[field], index);
    }
    if (useCopy) return table.run(() => this.#copyMany(records, fields, columns, description));
    const expected = new Set(fields);
    for (let index = 1; index < records.length; index++) {
      assertRowFields(table.entity, records[index], index, fields, expected);
    }
    return table.run(() => this.#insertMany(records, columns));
  }

  async #insertMany(
    rows: readonly Record<string, unknown>[],
    columns: readonly CopyColumn[],
  ): Promise<IdOf<M>[]> {
    const table = this.#table;
    const values = rows.map((row, index) => {
      const record: Record<string, unknown> = {};
      for (const { column, field, constant } of columns) {
        const value = field === undefined ? constant : row[field];
        record[column.name] = value;
        // node-postgres would send an array as an array literal, which json columns reject.
        if (column.kind === 'json' && value !== null && value !== undefined && typeof value !== 'string') {
          try {
            record[column.name] = stringifyJson(value);
          } catch (error) {
            if (!(error instanceof CopyValueError)) throw error;
            throw new InvalidRowsError(table.entity, `row ${index}, field "${field}": ${error.message}`);
          }
        }
      }
      return record;
    });
    const inserted = (await table.pool.knex(table.name).insert(values).returning(table.idColumn)) as Record<
      string,
      unknown
    >[];
    return inserted.map((row) => row[table.idColumn] as IdOf<M>);
  }

  async #copyMany(
    rows: readonly Record<string, unknown>[],
    fields: readonly string[],
    columns: readonly CopyColumn[],
    description: TableDescription,
  ): Promise<IdOf<M>[]> {
    const table = this.#table;
    const knexClient = knexClientOf(table.pool.knex);
    const idGiven = columns.some((entry) => entry.column.name === table.idColumn);
    const idColumn = description.columns.get(table.idColumn);
    const sequence = description.idSequence;
    if (!idGiven && !sequence && idColumn?.type !== 'uuid') {
      throw new InvalidRowsError(
        table.entity,
        `createMany() of ${rows.length} rows uses COPY, which needs the ids up front, but "${table.idColumn}" has no ` +
          'sequence (serial or identity) and is not a uuid. Give every row an id.',
      );
    }
    const ownTransaction =
      !idGiven &&
      sequence !== null &&
      idColumn !== undefined &&
      description.idSequenceIncrement === 1 &&
      Date.now() >= this.#sequenceContendedUntil &&
      getAmbientConnection(table.pool as Pool) === undefined;
    // Inside a transaction, the pool's Knex client hands out the transaction's own connection.
    const pooled = await knexClient.acquireConnection();
    const connection = this.#tracing.connection(pooled);
    try {
      if (ownTransaction) {
        // Rows are checked while they stream, so the COPY starts at once; the transaction is
        // ours, so a bad row (or a value the binary format cannot take) just rolls it back.
        const batch = new CopyRows(table.entity, table.name, rows, columns, {
          fields,
          validate: 'streaming',
        });
        const copyDefault = (format?: 'text') =>
          copyWithSequenceDefault(connection, {
            sequence,
            idType: idColumn.type,
            count: rows.length,
            ...batch.copy(undefined, format),
          });
        const recovered = await copyDefault().catch((error: unknown) => {
          if (error instanceof BinaryFormatMismatch) return copyDefault('text');
          throw error;
        });
        if (recovered) return recovered as IdOf<M>[];
        // Another session used the sequence meanwhile: take ids up front for a while.
        this.#sequenceContendedUntil = Date.now() + SEQUENCE_CONTENTION_BACKOFF_MS;
      }
      const batch = new CopyRows(table.entity, table.name, rows, columns, { fields, validate: 'upfront' });
      if (idGiven) {
        const { statement, chunks } = batch.copy();
        await copyFromStdin(connection, statement, chunks);
        const idField = columns.find((entry) => entry.column.name === table.idColumn)?.field as string;
        return rows.map((row) => row[idField] as IdOf<M>);
      }
      const ids =
        sequence && idColumn
          ? await preallocateIds(
              (text, values) => connection.query(text, values),
              sequence,
              rows.length,
              idColumn.type,
            )
          : rows.map(() => randomUUID());
      const { statement, chunks } = batch.copy({ column: idColumn as ColumnDescription, values: ids });
      await copyFromStdin(connection, statement, chunks);
      return ids as IdOf<M>[];
    } finally {
      await knexClient.releaseConnection(pooled);
    }
  }
}
