import { textOffsets } from '../text-offsets.js';

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
  /** The character offset of a parser `location`. */
  charOfByte(byteOffset: number): number;
}

export function sourcePositions(text: string): SourcePositions {
  const offsets = textOffsets(text);
  const ofChar = (charOffset: number): SourcePosition =>
    offsets.positionOfChar(Math.max(0, Math.min(charOffset, text.length)));
  return {
    ofByte: (byteOffset) => ofChar(offsets.charOfByte(byteOffset)),
    ofChar,
    charOfByte: offsets.charOfByte,
  };
}
