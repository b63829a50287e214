/**
 * Converts between the offsets PostgreSQL's parser reports (UTF-8 bytes) and JavaScript's
 * (UTF-16 code units), and finds the 1-based line of a character offset. Built once per text,
 * so converting many offsets stays linear.
 */
export interface TextOffsets {
  /** The text's length in UTF-8 bytes. */
  byteLength: number;
  charOfByte(byteOffset: number): number;
  byteOfChar(charOffset: number): number;
  lineOfChar(charOffset: number): number;
  /** 1-based line and column (in characters) of a character offset. */
  positionOfChar(charOffset: number): { line: number; column: number };
}

export function textOffsets(text: string): TextOffsets {
  const byteLength = Buffer.byteLength(text, 'utf8');
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOfChar = (charOffset: number): number => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= charOffset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  const positionOfChar = (charOffset: number): { line: number; column: number } => {
    const line = lineOfChar(charOffset);
    return { line, column: charOffset - (lineStarts[line - 1] ?? 0) + 1 };
  };
  if (byteLength === text.length) {
    // ASCII: bytes and characters coincide.
    const clamp = (offset: number): number => Math.max(0, Math.min(offset, text.length));
    return { byteLength, charOfByte: clamp, byteOfChar: clamp, lineOfChar, positionOfChar };
  }
  // byteStarts[i] is the byte offset of character i; one entry past the end.
  const byteStarts = new Uint32Array(text.length + 1);
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    byteStarts[i] = bytes;
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one 4-byte character; an offset between its halves means its start.
      byteStarts[i + 1] = bytes;
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  byteStarts[text.length] = bytes;
  const charOfByte = (byteOffset: number): number => {
    let low = 0;
    let high = text.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((byteStarts[mid] ?? 0) < byteOffset) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  const byteOfChar = (charOffset: number): number =>
    byteStarts[Math.max(0, Math.min(charOffset, text.length))] ?? byteLength;
  return { byteLength, charOfByte, byteOfChar, lineOfChar, positionOfChar };
}
