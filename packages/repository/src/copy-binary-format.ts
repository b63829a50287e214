import { writeUtf8 } from './write-utf8.js';

/**
 * PostgreSQL's binary COPY format for the column types where a JavaScript value has exactly one
 * binary form that equals what the text path would store. The server then skips text parsing
 * (timestamps and numerics are the costly ones), which makes COPY about a fifth faster.
 *
 * A writer `accepts` only values it can write with the same result as the text format; a batch
 * uses binary only if every value is accepted, so anything unusual (a timestamp given as a
 * string, a numeric in exponent notation, a type not listed here) takes the text path and
 * PostgreSQL's own parsing, with its own errors.
 */
export interface BinaryFieldWriter {
  /** Whether `value` (never null) has a binary form equal to its text-format result. */
  accepts(value: unknown): boolean;
  /**
   * For text-like types: the value's text, written as UTF-8 after `prefix` (jsonb's version
   * byte). Text-like writers have no `write`.
   */
  text?: (value: unknown) => string;
  prefix?: number;
  /** Bytes `write` writes, length word excluded (fixed-size and computed types). */
  size?: (value: unknown) => number;
  /** Writes `value` (accepted, never null) at `offset`; returns the offset after it. */
  write?: (value: unknown, buffer: Buffer, offset: number) => number;
}

const INT_TEXT = /^-?\d{1,19}$/;
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TWO_TO_32 = 4_294_967_296;
const EPOCH_2000_MS = Date.UTC(2000, 0, 1);
// Dates in years 0001-9999 (the text path writes them as plain ISO 8601).
const FIRST_MS = Date.parse('0001-01-01T00:00:00.000Z');
const LAST_MS = Date.parse('9999-12-31T23:59:59.999Z');

function integerWriter(bytes: 2 | 4 | 8): BinaryFieldWriter {
  const max = bytes === 8 ? Number.MAX_SAFE_INTEGER : 2 ** (bytes * 8 - 1) - 1;
  const min = bytes === 8 ? Number.MIN_SAFE_INTEGER : -max - 1;
  const bigMax = 2n ** BigInt(bytes * 8 - 1) - 1n;
  const bigInRange = (value: bigint) => value >= -bigMax - 1n && value <= bigMax;
  return {
    accepts(value) {
      if (typeof value === 'number') return Number.isInteger(value) && value >= min && value <= max;
      if (typeof value === 'bigint') return bigInRange(value);
      return typeof value === 'string' && INT_TEXT.test(value) && bigInRange(BigInt(value));
    },
    size: () => bytes,
    write(value, buffer, offset) {
      if (bytes === 2) return writeInt16(buffer, offset, Number(value));
      if (bytes === 4) return writeInt32(buffer, offset, Number(value));
      if (typeof value === 'number') return writeInt64(value, buffer, offset);
      return buffer.writeBigInt64BE(BigInt(value as string | bigint), offset);
    },
  };
}

// A safe integer as a big-endian int64, without BigInt.
function writeInt64(value: number, buffer: Buffer, offset: number): number {
  const high = Math.floor(value / TWO_TO_32);
  return writeInt32(buffer, writeInt32(buffer, offset, high), value - high * TWO_TO_32);
}

const float8Writer: BinaryFieldWriter = {
  accepts: (value) => typeof value === 'number',
  size: () => 8,
  // The text path sends String(value), which reads back as the same double, except -0 ("0").
  write: (value, buffer, offset) =>
    buffer.writeDoubleBE(Object.is(value, -0) ? 0 : (value as number), offset),
};

const boolWriter: BinaryFieldWriter = {
  accepts: (value) => typeof value === 'boolean',
  size: () => 1,
  write: (value, buffer, offset) => buffer.writeUInt8(value ? 1 : 0, offset),
};

// Text as node-postgres would send it: strings as they are, numbers and bigints in decimal,
// booleans as "true"/"false". (PostgreSQL verifies the encoding of binary text as of text
// input, so a NUL character fails the same way in both formats.)
const textWriter: BinaryFieldWriter = {
  accepts: (value) =>
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'boolean',
  text: (value) => (typeof value === 'string' ? value : String(value)),
};

const uuidWriter: BinaryFieldWriter = {
  accepts: (value) => typeof value === 'string' && UUID_TEXT.test(value),
  size: () => 16,
  write: (value, buffer, offset) =>
    offset + buffer.write((value as string).replaceAll('-', ''), offset, 'hex'),
};

// Microseconds since 2000-01-01 UTC. Milliseconds × 1000 can exceed 2^53, so the product is
// formed from 32-bit halves of the millisecond count.
const timestamptzWriter: BinaryFieldWriter = {
  accepts(value) {
    if (!(value instanceof Date)) return false;
    const time = value.getTime();
    return time >= FIRST_MS && time <= LAST_MS;
  },
  size: () => 8,
  write(value, buffer, offset) {
    const milliseconds = (value as Date).getTime() - EPOCH_2000_MS;
    const high = Math.floor(milliseconds / TWO_TO_32);
    const lowProduct = (milliseconds - high * TWO_TO_32) * 1000;
    const carry = Math.floor(lowProduct / TWO_TO_32);
    return writeInt32(
      buffer,
      writeInt32(buffer, offset, high * 1000 + carry),
      lowProduct - carry * TWO_TO_32,
    );
  },
};

// `-?digits(.digits)?`, at most 1000 digits on either side: what numericWriter can write.
function isPlainDecimal(text: string): boolean {
  const length = text.length;
  let index = text.charCodeAt(0) === 45 ? 1 : 0; // '-'
  const integerStart = index;
  while (index < length && isDigit(text.charCodeAt(index))) index++;
  const integerDigits = index - integerStart;
  if (integerDigits === 0 || integerDigits > 1000) return false;
  if (index === length) return true;
  if (text.charCodeAt(index) !== 46) return false; // '.'
  const fractionStart = ++index;
  while (index < length && isDigit(text.charCodeAt(index))) index++;
  const fractionDigits = index - fractionStart;
  return index === length && fractionDigits > 0 && fractionDigits <= 1000;
}

const isDigit = (code: number) => code >= 48 && code <= 57;

// A plain decimal ("-12.50", or a number whose String() is one): digits in base 10000 around
// the decimal point, the scale taken from the fraction as written (so "1.50" stays 1.50).
const numericWriter: BinaryFieldWriter = {
  accepts(value) {
    if (typeof value === 'number') return Number.isFinite(value) && isPlainDecimal(String(value));
    return typeof value === 'string' && isPlainDecimal(value);
  },
  // 8 header bytes and 2 per group of four digits; a group can straddle the decimal point.
  size: (value) => 8 + 2 * (Math.ceil(String(value).length / 4) + 1),
  write(value, buffer, offset) {
    const text = typeof value === 'string' ? value : String(value);
    const negative = text.charCodeAt(0) === 45; // '-'
    const start = negative ? 1 : 0;
    let dot = text.indexOf('.', start);
    if (dot === -1) dot = text.length;
    const fractionLength = dot === text.length ? 0 : text.length - dot - 1;
    // Base-10000 groups counted from the decimal point: the integer part's first group may be
    // short, the fraction's last group is padded with zeros.
    let count = 0;
    let group = 0;
    let inGroup = (dot - start) % 4 || 4;
    for (let index = start; index < dot; index++) {
      group = group * 10 + text.charCodeAt(index) - 48;
      if (--inGroup === 0) {
        GROUPS[count++] = group;
        group = 0;
        inGroup = 4;
      }
    }
    const integerGroups = count;
    inGroup = 4;
    for (let index = dot + 1; index < text.length; index++) {
      group = group * 10 + text.charCodeAt(index) - 48;
      if (--inGroup === 0) {
        GROUPS[count++] = group;
        group = 0;
        inGroup = 4;
      }
    }
    if (inGroup < 4) GROUPS[count++] = group * 10 ** inGroup;
    let first = 0;
    while (first < count && GROUPS[first] === 0) first++;
    let end = count;
    while (end > first && GROUPS[end - 1] === 0) end--;
    const digits = end - first;
    offset = writeInt16(buffer, offset, digits);
    offset = writeInt16(buffer, offset, digits === 0 ? 0 : integerGroups - 1 - first);
    offset = writeInt16(buffer, offset, negative && digits > 0 ? 0x4000 : 0);
    offset = writeInt16(buffer, offset, fractionLength);
    for (let index = first; index < end; index++)
      offset = writeInt16(buffer, offset, GROUPS[index] as number);
    return offset;
  },
};

// Scratch space for a numeric's base-10000 groups (at most 2 × 1000 digits / 4, plus two).
const GROUPS = new Int32Array(512);

function writeInt16(buffer: Buffer, offset: number, value: number): number {
  buffer[offset] = (value >>> 8) & 0xff;
  buffer[offset + 1] = value & 0xff;
  return offset + 2;
}

function writeInt32(buffer: Buffer, offset: number, value: number): number {
  buffer[offset] = (value >>> 24) & 0xff;
  buffer[offset + 1] = (value >>> 16) & 0xff;
  buffer[offset + 2] = (value >>> 8) & 0xff;
  buffer[offset + 3] = value & 0xff;
  return offset + 4;
}

// jsonb is a version byte then the JSON text; json is the text alone. Values are JSON-encoded
// unless they are strings (taken as JSON text already), exactly as the text path does.
function jsonText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) as string);
}

function jsonWriter(versioned: boolean): BinaryFieldWriter {
  return {
    accepts(value) {
      if (typeof value === 'string') return true;
      try {
        return typeof JSON.stringify(value) === 'string';
      } catch {
        return false; // a BigInt or a cycle: the text path reports it
      }
    },
    text: jsonText,
    ...(versioned ? { prefix: 1 } : {}),
  };
}

const byteaWriter: BinaryFieldWriter = {
  accepts: (value) => value instanceof Uint8Array,
  size: (value) => (value as Uint8Array).byteLength,
  write(value, buffer, offset) {
    buffer.set(value as Uint8Array, offset);
    return offset + (value as Uint8Array).byteLength;
  },
};

const WRITERS: Record<string, BinaryFieldWriter> = {
  int2: integerWriter(2),
  int4: integerWriter(4),
  int8: integerWriter(8),
  float8: float8Writer,
  numeric: numericWriter,
  bool: boolWriter,
  text: textWriter,
  varchar: textWriter,
  uuid: uuidWriter,
  timestamptz: timestamptzWriter,
  json: jsonWriter(false),
  jsonb: jsonWriter(true),
  bytea: byteaWriter,
};

/** The binary writer for a column of `type` (pg_type.typname), or undefined for text only. */
export function binaryFieldWriter(type: string): BinaryFieldWriter | undefined {
  return WRITERS[type];
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const CHUNK_SIZE = 64 * 1024;

/** Reads the value of `column` in row `index` (undefined and null both mean NULL). */
export type ValueAt = (index: number, column: number) => unknown;

/** Thrown by `copyBinaryChunks` when `checkValues` finds a value its writer does not accept. */
export class BinaryFormatMismatch extends Error {
  constructor() {
    super('a value has no exact binary form; use the text format');
  }
}

/** How `copyBinaryChunks` reads rows. */
export interface BinaryRowSource {
  count: number;
  valueAt: ValueAt;
  /** Called before each row is read, e.g. to validate it. */
  beforeRow?: (index: number) => void;
  /**
   * Check each value with its writer's `accepts` while writing, throwing BinaryFormatMismatch
   * at the first one that fails (when the values were not all checked beforehand).
   */
  checkValues?: boolean;
}

/**
 * The binary COPY stream of the rows in Buffers of about 64 KiB: the signature, then per row
 * the field count and each field as a length word and its bytes (-1 for NULL), then the trailer.
 */
export function* copyBinaryChunks(
  writers: readonly BinaryFieldWriter[],
  source: BinaryRowSource,
): Generator<Buffer> {
  const { count, valueAt, beforeRow, checkValues = false } = source;
  const width = writers.length;
  const values = new Array<unknown>(width);
  const texts = new Array<string | undefined>(width);
  let buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  let offset = SIGNATURE.copy(buffer, 0);
  offset = writeInt32(buffer, offset, 0); // flags
  offset = writeInt32(buffer, offset, 0); // header extension length
  for (let index = 0; index < count; index++) {
    beforeRow?.(index);
    let bound = 2;
    for (let column = 0; column < width; column++) {
      const value = valueAt(index, column);
      values[column] = value;
      texts[column] = undefined;
      if (value === null || value === undefined) {
        bound += 4;
        continue;
      }
      const writer = writers[column] as BinaryFieldWriter;
      if (checkValues && !writer.accepts(value)) throw new BinaryFormatMismatch();
      if (writer.text) {
        const text = writer.text(value);
        texts[column] = text;
        bound += 5 + text.length * 3;
      } else bound += 4 + (writer.size as (value: unknown) => number)(value);
    }
    if (offset + bound > buffer.length) {
      yield buffer.subarray(0, offset);
      buffer = Buffer.allocUnsafe(Math.max(CHUNK_SIZE, bound + 2));
      offset = 0;
    }
    offset = writeInt16(buffer, offset, width);
    for (let column = 0; column < width; column++) {
      const value = values[column];
      if (value === null || value === undefined) {
        offset = writeInt32(buffer, offset, -1);
        continue;
      }
      const writer = writers[column] as BinaryFieldWriter;
      const text = texts[column];
      let end = offset + 4;
      if (text !== undefined) {
        if (writer.prefix !== undefined) buffer[end++] = writer.prefix;
        end = writeUtf8(buffer, end, text);
      } else {
        end = (writer.write as NonNullable<BinaryFieldWriter['write']>)(value, buffer, end);
      }
      writeInt32(buffer, offset, end - offset - 4);
      offset = end;
    }
  }
  if (offset + 2 > buffer.length) {
    yield buffer.subarray(0, offset);
    buffer = Buffer.allocUnsafe(2);
    offset = 0;
  }
  offset = writeInt16(buffer, offset, -1);
  yield buffer.subarray(0, offset);
}
