/**
 * Writes `text` as UTF-8 into `buffer` at `offset` and returns the offset after it. Most COPY
 * values are ASCII: copying char codes beats Buffer#write's call for short values, and the
 * first non-ASCII character hands the whole value to the UTF-8 encoder. The caller has made
 * sure the buffer has room (3 bytes per UTF-16 unit at most).
 */
export function writeUtf8(buffer: Buffer, offset: number, text: string): number {
  const length = text.length;
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code > 0x7f) return offset + buffer.write(text, offset);
    buffer[offset + index] = code;
  }
  return offset + length;
}
