import { writeUtf8 } from './write-utf8.js';

const CHUNK_SIZE = 64 * 1024;
const TAB = 0x09;
const NEWLINE = 0x0a;

/**
 * Fills `fields` with the COPY text of row `index`, one entry per column (already escaped).
 * Throwing stops the COPY.
 */
export type RowEncoder = (index: number, fields: string[]) => void;

/**
 * The COPY text-format stream of `count` rows as Buffers of about 64 KiB, written field by
 * field into each Buffer: no per-row line strings to concatenate and flatten, which at 100k
 * rows is what the garbage collector would otherwise spend its time on.
 */
export function* copyChunks(count: number, width: number, encodeRow: RowEncoder): Generator<Buffer> {
  const fields = new Array<string>(width);
  let buffer = Buffer.allocUnsafe(CHUNK_SIZE);
  let offset = 0;
  for (let index = 0; index < count; index++) {
    encodeRow(index, fields);
    // A UTF-16 code unit takes at most 3 bytes in UTF-8; plus a separator per field.
    let bound = width;
    for (let column = 0; column < width; column++) bound += (fields[column] as string).length * 3;
    if (offset + bound > buffer.length) {
      if (offset > 0) yield buffer.subarray(0, offset);
      buffer = Buffer.allocUnsafe(Math.max(CHUNK_SIZE, bound));
      offset = 0;
    }
    for (let column = 0; column < width; column++) {
      if (column > 0) buffer[offset++] = TAB;
      offset = writeUtf8(buffer, offset, fields[column] as string);
    }
    buffer[offset++] = NEWLINE;
  }
  if (offset > 0) yield buffer.subarray(0, offset);
}
