import { InvalidRowsError } from './repository-errors.js';

/**
 * The fields a bulk insert writes: those row 0 defines (undefined counts as absent). Every
 * other row must define exactly these — COPY cannot fall back to a column default for one row.
 */
export function fieldsOfFirstRow(entity: string, rows: readonly unknown[]): string[] {
  const first = rows[0];
  if (typeof first !== 'object' || first === null || Array.isArray(first)) {
    throw new InvalidRowsError(entity, 'row 0 is not an object');
  }
  return Object.keys(first).filter((key) => (first as Record<string, unknown>)[key] !== undefined);
}

/**
 * Checks that row `index` defines exactly `fields` (`expected` is the same names as a Set).
 * A for-in count rather than Object.keys: no array per row at 100k rows.
 */
export function assertRowFields(
  entity: string,
  row: unknown,
  index: number,
  fields: readonly string[],
  expected: ReadonlySet<string>,
): void {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    throw new InvalidRowsError(entity, `row ${index} is not an object`);
  }
  const record = row as Record<string, unknown>;
  let count = 0;
  for (const key in record) {
    if (record[key] === undefined) continue;
    if (!expected.has(key)) {
      throw mismatch(entity, index, `has field "${key}" that row 0 lacks`);
    }
    count++;
  }
  if (count !== fields.length) {
    throw mismatch(
      entity,
      index,
      `lacks field "${fields.find((key) => record[key] === undefined)}" that row 0 has`,
    );
  }
}

function mismatch(entity: string, index: number, problem: string): InvalidRowsError {
  return new InvalidRowsError(
    entity,
    `row ${index} ${problem}; createMany() needs the same fields in every row (use null for "no value").`,
  );
}
