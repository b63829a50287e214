import type { ColumnKind } from './table-description.js';

/**
 * Encoders for PostgreSQL's COPY text format: columns separated by tabs, rows by newlines,
 * NULL as `\N`, and backslash, tab, newline and carriage return escaped with a backslash.
 * Values are converted the way node-postgres converts query parameters, so a row written by
 * COPY equals the row a parameterised INSERT would write.
 */

/** Writes one value as a COPY text field. Throws CopyValueError for a value it cannot write. */
export type CopyFieldEncoder = (value: unknown) => string;

/** A value that has no COPY (or SQL) representation, e.g. an invalid Date or a function. */
export class CopyValueError extends Error {}

export const COPY_NULL = '\\N';
const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Escapes text for a COPY text field. */
export function escapeCopyText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIAL_ALL, (character) => ESCAPES[character] as string) : text;
}

/** The encoder for a column of the given kind. */
export function copyFieldEncoder(kind: ColumnKind): CopyFieldEncoder {
  const dates = kind === 'timestamptz' ? isoString : kind === 'json' ? undefined : localDateString;
  return (value) => {
    if (value === null || value === undefined) return COPY_NULL;
    if (typeof value === 'string') return escapeCopyText(value);
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    // Date text never holds a character COPY escapes.
    if (dates && value instanceof Date) return dates(value);
    return escapeCopyText(toParameterText(value, kind));
  };
}

/**
 * The text a non-string value stands for, for a column of `kind`: what node-postgres would
 * send for it as a parameter, except that json columns get JSON for arrays too (node-postgres
 * would send an array literal, which json columns reject) and timestamptz gets ISO 8601.
 */
export function toParameterText(value: unknown, kind: ColumnKind): string {
  // As node-postgres sends booleans: a text column stores "true", a boolean column reads it.
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'string') return value;
  if (kind === 'json') return stringifyJson(value);
  if (value instanceof Date) return kind === 'timestamptz' ? isoString(value) : localDateString(value);
  if (value instanceof Uint8Array)
    return `\\x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (Array.isArray(value)) return arrayLiteral(value);
  if (typeof value === 'object' && value !== null) return stringifyJson(value);
  throw new CopyValueError(`a ${typeof value} cannot be stored`);
}

/** JSON for a json/jsonb column; `undefined` and functions are not JSON. */
export function stringifyJson(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new CopyValueError(`the value cannot be written as JSON (${(error as Error).message})`);
  }
  if (json === undefined) throw new CopyValueError(`a ${typeof value} is not JSON`);
  return json;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, value) => String(value).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, value) => String(value).padStart(3, '0'));
const DAY_MS = 86_400_000;
// Years 0001-9999, the range Date#toISOString writes as YYYY-MM-DD.
const FIRST_DAY = Date.parse('0001-01-01T00:00:00Z') / DAY_MS;
const LAST_DAY = Date.parse('9999-12-31T00:00:00Z') / DAY_MS;
let cachedDay = Number.NaN;
let cachedDayPrefix = '';

// Date#toISOString, about ten times faster: bulk rows tend to share days, so the date part is
// cached and only the time of day is formatted, from lookup tables.
function isoString(date: Date): string {
  const time = date.getTime();
  if (Number.isNaN(time)) throw new CopyValueError('an invalid Date cannot be stored');
  const day = Math.floor(time / DAY_MS);
  if (day < FIRST_DAY || day > LAST_DAY) return date.toISOString();
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  let rest = time - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  rest -= seconds * 1000;
  return `${cachedDayPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest]}Z`;
}

// A PostgreSQL array literal: every element quoted, `"` and `\` escaped, NULL unquoted.
function arrayLiteral(values: readonly unknown[]): string {
  const elements = values.map((element) => {
    if (element === null || element === undefined) return 'NULL';
    if (Array.isArray(element)) return arrayLiteral(element);
    const text = typeof element === 'string' ? element : toParameterText(element, 'other');
    return `"${text.replace(/[\\"]/g, '\\$&')}"`;
  });
  return `{${elements.join(',')}}`;
}

const pad = (value: number, length: number): string => String(value).padStart(length, '0');

// node-postgres' conversion of a Date parameter: local time with its UTC offset, so
// `timestamp` and `date` columns receive the same wall-clock value as with an INSERT.
function localDateString(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new CopyValueError('an invalid Date cannot be stored');
  let offset = -date.getTimezoneOffset();
  let year = date.getFullYear();
  const beforeChrist = year < 1;
  if (beforeChrist) year = Math.abs(year) + 1;
  let text = `${pad(year, 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}T${pad(date.getHours(), 2)}:${pad(
    date.getMinutes(),
    2,
  )}:${pad(date.getSeconds(), 2)}.${pad(date.getMilliseconds(), 3)}`;
  text += offset < 0 ? '-' : '+';
  offset = Math.abs(offset);
  text += `${pad(Math.floor(offset / 60), 2)}:${pad(offset % 60, 2)}`;
  return beforeChrist ? `${text} BC` : text;
}
