/** A 1-based line and column in a source file. */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * Maps the parser's `location` values (UTF-8 byte offsets) and JavaScript character offsets
 * of one text to 1-based lines and columns.
 */
export interface SourcePositions {
  ofByte(byteOffset: number): SourcePosition;
  ofChar(charOffset: number): SourcePosition;
}

export function sourcePositions(text: string): SourcePositions {
  const bytes = Buffer.from(text, 'utf8');
  const lineStartBytes = [0];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) lineStartBytes.push(i + 1);
  }
  const ofByte = (byteOffset: number): SourcePosition => {
    const offset = Math.max(0, Math.min(byteOffset, bytes.length));
    let low = 0;
    let high = lineStartBytes.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((lineStartBytes[mid] ?? 0) <= offset) low = mid;
      else high = mid - 1;
    }
    const lineStart = lineStartBytes[low] ?? 0;
    const column = bytes.subarray(lineStart, offset).toString('utf8').length + 1;
    return { line: low + 1, column };
  };
  const ofChar = (charOffset: number): SourcePosition =>
    ofByte(Buffer.byteLength(text.slice(0, charOffset), 'utf8'));
  return { ofByte, ofChar };
}
