import { UNSTORABLE_TEXT_PROBLEMS, unstorableTextReason } from './unstorable-text.js';

/**
 * Why `value` cannot be a cursor's key value for a column of PostgreSQL type `type` (pg_type's
 * `typname`), or undefined. A cursor's values are bound as parameters of the column's type, so
 * a value PostgreSQL would not read (a word for a bigint, 10^30 for an int4, February 30th)
 * fails the query there; checked here, it is an InvalidCursorError instead. The forms accepted
 * are those the list query prints: `::text` output, and for dates and timestamps their JSON
 * (ISO 8601) form, whatever the session's DateStyle. Types not listed below (intervals,
 * enums, domains, ...) are only checked for NUL and unpaired surrogates; their values are
 * protected by the cursor's HMAC.
 */
export function keysetValueProblem(type: string, value: string): string | undefined {
  const text = unstorableTextReason(value);
  if (text) return UNSTORABLE_TEXT_PROBLEMS[text];
  const check = CHECKS[type];
  return check === undefined || check(value) ? undefined : `is not a ${type} value`;
}

const INTEGER_RANGES: Record<string, readonly [bigint, bigint]> = {
  int2: [-(2n ** 15n), 2n ** 15n - 1n],
  int4: [-(2n ** 31n), 2n ** 31n - 1n],
  int8: [-(2n ** 63n), 2n ** 63n - 1n],
};

const integer =
  (type: string) =>
  (value: string): boolean => {
    if (!/^-?(0|[1-9][0-9]{0,18})$/.test(value)) return false;
    const [min, max] = INTEGER_RANGES[type] as readonly [bigint, bigint];
    const number = BigInt(value);
    return number >= min && number <= max;
  };

const FLOAT = /^-?(?:[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|Infinity)$|^NaN$/;
// Whether a decimal's nearest float4 / float8 is finite and not zero: beyond these PostgreSQL
// reports the value out of range (overflow, or underflow to zero). Number() rounds to the
// nearest double as strtod does; float4 bounds are where rounding to single precision tips.
const IN_RANGE = {
  float4: (magnitude: number) => magnitude < 2 ** 128 - 2 ** 103 && magnitude > 2 ** -150,
  float8: (magnitude: number) => Number.isFinite(magnitude) && magnitude > 0,
} as const;

const float =
  (type: keyof typeof IN_RANGE) =>
  (value: string): boolean => {
    if (!FLOAT.test(value)) return false;
    if (/Infinity|NaN/.test(value)) return true;
    const magnitude = Math.abs(Number(value));
    // A zero is fine when it was written as one.
    if (magnitude === 0) return !/[1-9]/.test(value.split('e')[0] as string);
    return IN_RANGE[type](magnitude);
  };

// Dates and timestamps, as `to_json` (ISO 8601 with "T") or ISO DateStyle `::text` prints them.
const DATE = /^([0-9]{4,7})-([0-9]{2})-([0-9]{2})( BC)?$/;
const TIMESTAMP =
  /^([0-9]{4,6})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,6})?(?<zone>[+-][0-9]{2}(?::[0-5][0-9]){0,2})?( BC)?$/;
// Years whose every day PostgreSQL can hold (its limits fall inside 4714 BC and the last year).
const LAST_YEAR = { date: 5_874_896, timestamp: 294_275 } as const;
const FIRST_YEAR_BC = 4713;

function validDay(year: number, bc: boolean, month: number, day: number): boolean {
  if (year < 1 || year > (bc ? FIRST_YEAR_BC : Number.POSITIVE_INFINITY)) return false;
  if (month < 1 || month > 12 || day < 1) return false;
  // 1 BC is year 0 of the proleptic Gregorian calendar, a leap year.
  const astronomical = bc ? 1 - year : year;
  const leap = astronomical % 4 === 0 && (astronomical % 100 !== 0 || astronomical % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= days;
}

function date(value: string): boolean {
  if (value === 'infinity' || value === '-infinity') return true;
  const match = DATE.exec(value);
  if (!match) return false;
  const year = Number(match[1]);
  return year <= LAST_YEAR.date && validDay(year, match[4] !== undefined, Number(match[2]), Number(match[3]));
}

const timestamp =
  (withZone: boolean) =>
  (value: string): boolean => {
    if (value === 'infinity' || value === '-infinity') return true;
    const match = TIMESTAMP.exec(value);
    if (!match) return false;
    const zone = match.groups?.zone;
    if ((zone !== undefined) !== withZone) return false;
    // PostgreSQL's offsets stay within ±15:59:59.
    if (zone !== undefined && Number(zone.slice(1, 3)) > 15) return false;
    const [hour, minute, second] = [match[4], match[5], match[6]].map(Number) as [number, number, number];
    if (hour > 23 || minute > 59 || second > 59) return false;
    const year = Number(match[1]);
    return (
      year <= LAST_YEAR.timestamp &&
      validDay(year, match[8] !== undefined, Number(match[2]), Number(match[3]))
    );
  };

const CHECKS: Record<string, ((value: string) => boolean) | undefined> = {
  int2: integer('int2'),
  int4: integer('int4'),
  int8: integer('int8'),
  numeric: (value) => /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$|^NaN$|^-?Infinity$/.test(value),
  float4: float('float4'),
  float8: float('float8'),
  bool: (value) => value === 'true' || value === 'false' || value === 't' || value === 'f',
  uuid: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  date,
  timestamp: timestamp(false),
  timestamptz: timestamp(true),
};
